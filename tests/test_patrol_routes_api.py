"""The route CLI and API on the sample: stored plans, GPX / GeoJSON, the sheet, the map's
routes collection, roles, errors, and a walked track uploaded from the planning page."""

from __future__ import annotations

import io
import json
from pathlib import Path

import gpxpy
import pyogrio
from helpers.accounts import make_user, sign_in
from sqlalchemy import text

from geo_service.db.engine import engine_for

GRID_ARGS = ["--grid", "1", "--grid", "2", "--grid", "3", "--grid", "4"]


def test_route_cli_writes_gpx_and_stores_the_plan(sample_db: str, cli, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "routes.gpx"
    result = cli("route", *GRID_ARGS, "--teams", "3", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "白龙警务室" in result.output and "default start" in result.output
    assert "3 teams: longest" in result.output and "ratio" in result.output
    assert "repeated" in result.output and "min walking" in result.output
    gpx = gpxpy.parse(out.read_text(encoding="utf-8"))
    assert len(gpx.tracks) == 3 and gpx.waypoints
    for track in gpx.tracks:
        points = track.segments[0].points
        assert len(points) > 10
        assert (points[0].latitude, points[0].longitude) == (points[-1].latitude,
                                                             points[-1].longitude)
    tracks = pyogrio.read_dataframe(out, layer="tracks")
    assert len(tracks) == 3 and set(tracks.geometry.geom_type) == {"MultiLineString"}
    assert len(pyogrio.read_dataframe(out, layer="waypoints")) == len(gpx.waypoints)
    with engine_for(sample_db).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM patrol_routes")).scalar_one() == 3
        assert conn.execute(text("SELECT count(*) FROM patrol_route_stops")).scalar_one() == len(
            gpx.waypoints)
    geojson = tmp_path / "points.geojson"
    result = cli("route", "--grid", "3", "--points", "broken-lights", "--start",
                 "106.8283,27.5221", "--out", str(geojson))
    assert result.exit_code == 0, result.output
    data = json.loads(geojson.read_text(encoding="utf-8"))
    assert data["kind"] == "points" and data["stats"]["start"]["default"] is False
    assert "Held-Karp" in data["stats"]["one_team_method"]
    week = cli("route", *GRID_ARGS, "--week", "--no-store")
    assert week.exit_code == 0, week.output
    assert "week coverage:" in week.output and "0 walked less often than required" in week.output
    assert "street_id\tref\tname" in week.output
    bad = cli("route", "--grid", "99")
    assert bad.exit_code != 0 and "no grid numbered 99" in bad.output


def test_api_plans_stores_and_serves_routes(sample_db: str, app, login_as) -> None:  # noqa: ANN001
    public = app.test_client()
    empty = public.get("/api/collections/routes").get_json()
    assert empty["computed"] is False
    patrol = app.test_client()  # a member of the patrol team, under their roster name
    sign_in(patrol, make_user(app, "patrol", display_name="张建国"))
    answer = patrol.post("/api/routes", json={"grids": [1, 2, 3, 4], "teams": 2})
    assert answer.status_code == 201, answer.get_data(as_text=True)[:500]
    data = answer.get_json()
    plan = data["plan"]
    routes = [f for f in data["features"] if f["properties"]["kind"] == "route"]
    stops = [f for f in data["features"] if f["properties"]["kind"] == "stop"]
    assert len(routes) == 2 and stops and data["stats"]["ratio"] <= 1.15
    assert data["links"]["gpx"] == f"/api/routes/{plan}.gpx"
    for feature in routes:
        coords = feature["geometry"]["coordinates"]
        assert coords[0] == coords[-1]
    gpx = patrol.get(f"/api/routes/{plan}.gpx")
    assert gpx.status_code == 200 and gpx.mimetype == "application/gpx+xml"
    assert len(gpxpy.parse(gpx.get_data(as_text=True)).tracks) == 2
    again = patrol.get(f"/api/routes/{plan}.geojson").get_json()
    assert again["plan"] == plan and len(again["features"]) == len(data["features"])
    assert patrol.get("/api/routes").get_json()["plans"][0]["id"] == plan
    zh = patrol.get(f"/routes/{plan}/sheet").get_data(as_text=True)
    en = patrol.get(f"/routes/{plan}/sheet?lang=en").get_data(as_text=True)
    assert "巡逻路线单" in zh and "第 2 组" in zh and "出发" in zh
    assert "Patrol route sheet" in en and "Team 2" in en and "turn" in en
    # the map's collection now serves the stored plan
    described = public.get("/api/collections/routes").get_json()
    assert described["computed"] is True and described["plan"] == plan
    assert described["extent"]["spatial"]["bbox"]
    items = patrol.get("/api/collections/routes/items?limit=1000").get_json()  # staff only
    kinds = [f["properties"]["kind"] for f in items["features"]]
    assert kinds.count("route") == 2 and kinds.count("stop") == len(stops)
    assert "note" not in items
    # errors and roles
    bad = patrol.post("/api/routes", json={"grids": [99]})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "grids"
    assert patrol.post("/api/routes", json={"teams": 40}).status_code == 400
    assert patrol.post("/api/routes", json={"lanes": 1}).get_json()["error"]["code"] == (
        "unknown_field")
    assert patrol.get("/api/routes/999999.gpx").status_code == 404
    resident = login_as("resident")
    assert resident.post("/api/routes", json={"teams": 1}).status_code == 403
    assert public.get("/plan/patrol").status_code in (302, 401)
    for lang, title in (("zh", "巡逻路线规划"), ("en", "Patrol route planning")):
        html = patrol.get(f"/plan/patrol?lang={lang}").get_data(as_text=True)
        assert title in html and 'href="/hazards/new' in html and "pp-upload" in html
    # a walked track uploaded from the planning page is matched to the streets
    from geo_service.patrol import load_network
    from geo_service.patrol.simulate import fixes_to_gpx, random_path, simulate_fixes

    engine = engine_for(sample_db)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO patrol_members (name, unit) VALUES ('张建国', '派出所') "
                          "ON CONFLICT DO NOTHING"))
        graph = load_network(conn, [1, 2, 3, 4])
    track = fixes_to_gpx(simulate_fixes(graph, random_path(graph, seed=4, length_m=800), seed=4))
    answer = patrol.post("/api/patrol/tracks", data={
        "member": "张建国", "grid": ["1", "2", "3", "4"],
        "track": (io.BytesIO(track.encode()), "walk.gpx")}, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_data(as_text=True)[:500]
    body = answer.get_json()
    assert body["walks"]["features"] and body["covered_km"] > 0.5 and body["lines"]
    missing = patrol.post("/api/patrol/tracks", data={"member": "张建国"},
                          content_type="multipart/form-data")
    assert missing.status_code == 400 and missing.get_json()["error"]["field"] == "track"
    for grid in ("999", "-5"):  # a grid that does not exist is the sender's mistake, not a 500
        unknown = patrol.post("/api/patrol/tracks", data={
            "member": "张建国", "grid": [grid], "track": (io.BytesIO(track.encode()), "w.gpx")},
            content_type="multipart/form-data")
        assert unknown.status_code in (400, 422), unknown.get_data(as_text=True)[:300]
        assert unknown.get_json()["error"]["field"] in ("grid", "track")
