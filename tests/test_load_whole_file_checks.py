"""Checks of a whole file before anything is stored: swapped axes in every row, an empty file."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, text

KOTKA = (26.94, 60.47)  # lon, lat: swapped, it is still a valid place (in Iran)


def grid_file(path: Path, lon: float, lat: float, size: float = 0.02) -> Path:
    ring = [[lon - size, lat - size], [lon + size, lat - size], [lon + size, lat + size],
            [lon - size, lat + size], [lon - size, lat - size]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"number": 1, "name": "Kotka 1"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    return path


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_a_file_swapped_in_every_row_is_refused_and_stores_nothing(cli, engine: Engine,
                                                                   tmp_path: Path) -> None:
    assert cli("load", "grids", str(grid_file(tmp_path / "g.geojson", *KOTKA))).exit_code == 0
    rows = [f"L{i},{KOTKA[1] + i * 1e-4:.6f},{KOTKA[0] + i * 1e-4:.6f}" for i in range(12)]
    swapped = tmp_path / "lamps.csv"
    swapped.write_text("id,lon,lat\n" + "\n".join(rows) + "\n")  # lat under lon, lon under lat
    refused = cli("load", "lights", str(swapped), "--crs", "4326")
    assert refused.exit_code != 0
    message = str(refused.exception) + refused.output
    assert "swapped in the whole file" in message and "swap the lon/lat columns" in message
    assert "km" in message
    assert count(engine, "lights") == 0
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("id,lat,lon\n" + "\n".join(rows) + "\n")  # the same rows, columns named
    loaded = cli("load", "lights", str(fixed))
    assert loaded.exit_code == 0, loaded.output
    assert count(engine, "lights") == 12


def test_an_empty_file_says_it_is_empty(cli, engine: Engine, tmp_path: Path) -> None:
    for name, layer in (("streets.geojson", "streets"), ("town.osm", "osm"),
                        ("lamps.csv", "lights")):
        path = tmp_path / name
        path.write_text("" if layer != "lights" else "\n  \n")
        result = cli("load", layer, str(path))
        message = str(result.exception) + result.output
        assert result.exit_code != 0 and "the file is empty" in message, message
        assert "not recognized" not in message
    assert count(engine, "streets") == 0


def test_a_swapped_file_is_refused_among_several_communities(cli, engine: Engine,
                                                             tmp_path: Path) -> None:
    assert cli("load", "sample").exit_code == 0
    kotka = grid_file(tmp_path / "g.geojson", *KOTKA)
    assert cli("load", "grids", str(kotka), "--community", "Kotka").exit_code == 0
    before = count(engine, "lights")
    rows = [f"L{i},{KOTKA[1] + i * 1e-4:.6f},{KOTKA[0] + i * 1e-4:.6f}" for i in range(12)]
    swapped = tmp_path / "lamps.csv"
    swapped.write_text("id,lon,lat\n" + "\n".join(rows) + "\n")
    for named in ((), ("--community", "Kotka")):
        refused = cli("load", "lights", str(swapped), "--crs", "4326", *named)
        assert refused.exit_code != 0
        message = str(refused.exception) + refused.output
        assert "swapped in the whole file" in message and "swap the lon/lat columns" in message
    assert count(engine, "lights") == before
