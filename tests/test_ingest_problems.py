"""Problem and IngestError: how findings read to a person."""

from __future__ import annotations

import pytest

from geo_service.ingest import CRSError, IngestError, Problem, SourceError


def test_problem_reads_like_a_sentence() -> None:
    problem = Problem("streets.geojson", "#12 (id=S0001)", "lit",
                      "value 'maybe' is not one of yes, no, unknown", "rejected")
    assert str(problem) == ("streets.geojson feature #12 (id=S0001) field 'lit': rejected: "
                            "value 'maybe' is not one of yes, no, unknown")


def test_problem_about_the_whole_file_has_no_feature_or_field() -> None:
    problem = Problem("a.csv", "", None, "the file lies 1200.0 km away", "warning")
    assert str(problem) == "a.csv: warning: the file lies 1200.0 km away"


def test_problem_is_frozen() -> None:
    problem = Problem("a.csv", "#0", None, "x", "warning")
    with pytest.raises(AttributeError):
        problem.reason = "y"  # type: ignore[misc]


def test_error_counts_rejected_features_not_problems() -> None:
    problems = [
        Problem("b.gpkg", "#1", "floors", "value -1 is negative", "rejected"),
        Problem("b.gpkg", "#1", "kind", "value 'x' is not one of ...", "rejected"),
        Problem("b.gpkg", "#2", "geometry", "invalid polygon; repaired", "repaired"),
        Problem("b.gpkg", "#3", "geometry", "geometry is missing or empty", "rejected"),
    ]
    error = IngestError(problems=problems)
    text = str(error)
    assert text.startswith("2 features rejected in b.gpkg:")
    assert "field 'floors'" in text and "field 'kind'" in text
    assert "repaired" not in text
    assert error.problems == problems


def test_error_lists_fifty_and_says_how_many_more() -> None:
    problems = [Problem("h.csv", f"#{i}", "severity", "value 'x' is not one of low", "rejected")
                for i in range(73)]
    lines = str(IngestError(problems=problems)).splitlines()
    assert lines[0] == "73 features rejected in h.csv:"
    assert len(lines) == 1 + 50 + 1
    assert lines[-1].strip() == "... and 23 more"
    assert "#49 " in lines[50] and "#50 " not in "\n".join(lines)


def test_source_errors_are_ingest_errors_with_one_problem() -> None:
    error = CRSError("a.csv", "the file has no CRS; declare it with --crs")
    assert isinstance(error, SourceError) and isinstance(error, IngestError)
    assert str(error) == "a.csv: rejected: the file has no CRS; declare it with --crs"
    assert [p.action for p in error.problems] == ["rejected"]
