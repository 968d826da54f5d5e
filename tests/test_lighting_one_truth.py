"""One truth about lighting: the per-grid summary counts a ``lit=yes`` street as lit by its tag,
as the gap list does, and reports separately what the lamp model confirms."""

from __future__ import annotations

import pytest

from geo_service.db.engine import engine_for
from geo_service.planning import gap_report


def test_lit_share_is_tagged_lit_plus_model_lit_and_matches_the_gap_list(sample_db: str,
                                                                          cli) -> None:
    report = gap_report(engine_for(sample_db), "lighting", cache=False)
    table, segments = report.grids, report.state.coverage.segments
    assert (table["lit_m"] - table["tag_lit_m"] - table["model_lit_m"]).abs().max() < 1e-6
    assert (table["share_lit"] * table["length_m"] - table["lit_m"]).abs().max() < 1e-6
    tagged = segments["lit"] == "yes"
    assert tagged.sum() > 0 and (~tagged).sum() > 0
    assert table["tag_lit_m"].sum() == pytest.approx(segments.loc[tagged, "length_m"].sum(),
                                                     rel=1e-9)
    # the lamp model's own figure is reported beside it, unchanged
    assert table["model_confirmed_m"].sum() == pytest.approx(segments["lit_m"].sum(), rel=1e-9)
    model_off_tag = segments.loc[~tagged, "lit_m"].sum()
    assert table["model_lit_m"].sum() == pytest.approx(model_off_tag, rel=1e-9)
    assert (table["share_lit"] >= table["share_model"] - 1e-12).all()
    # the gap list agrees: no gap lies on a street tagged lit=yes
    tagged_ids = set(segments.loc[tagged, "id"].astype(int))
    assert not tagged_ids & set(report.gaps["street_id"].astype(int))
    result = cli("gaps", "lighting")
    assert result.exit_code == 0, result.output
    assert "tagged lit=yes" in result.stderr and "the lamp model alone confirms" in result.stderr
