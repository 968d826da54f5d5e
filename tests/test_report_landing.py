"""Where a report may land (issue 12 item 8): a report outside every community (plus the
margin) is refused through the JSON API, the report page and Open311, and nothing is stored;
one in a community but in no grid is stored and belongs to that community."""

from __future__ import annotations

import re
from pathlib import Path

import shapely
from flask.testing import FlaskClient
from pyproj import Geod
from sqlalchemy import Engine, text
from test_communities import lamps

GEOD = Geod(ellps="WGS84")
LOS_ANGELES = (-118.56, 34.07)  # lon, lat: a real Los Angeles streetlight request


def hazards(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM hazards")).scalar_one()


def json_report(client: FlaskClient, lon: float, lat: float, lang: str = "zh"):  # noqa: ANN201
    return client.post(f"/api/hazards?lang={lang}", json={
        "lon": lon, "lat": lat, "category": "broken_light", "description": "路灯不亮",
        "severity": "medium"})


def just_outside(engine: Engine, metres: float) -> tuple[float, float]:
    """A point ``metres`` east of the sample outline's easternmost vertex (in no grid)."""
    with engine.connect() as conn:
        wkb = conn.execute(text("SELECT ST_AsBinary(outline) FROM communities "
                                "WHERE name = '白龙社区'")).scalar_one()
    coords = shapely.get_coordinates(shapely.from_wkb(bytes(wkb)))
    lon, lat = coords[coords[:, 0].argmax()]
    east, north, _ = GEOD.fwd(lon, lat, 90.0, metres)
    return float(east), float(north)


def test_a_report_far_from_every_community_is_refused_everywhere(
        sample_db: str, app, client: FlaskClient, engine: Engine) -> None:  # noqa: ANN001
    before = hazards(engine)
    lon, lat = LOS_ANGELES
    api = json_report(client, lon, lat, "en")
    assert api.status_code == 422, api.get_json()
    error = api.get_json()["error"]
    assert error["field"] == "location"
    distance = re.search(r"([\d,]+\.\d) km", error["messages"]["en"]).group(1)
    assert float(distance.replace(",", "")) > 10_000  # Los Angeles to Guizhou
    assert "白龙社区" in error["messages"]["zh"] and f"{distance} 公里" in error["messages"]["zh"]

    form = client.get("/hazards/new").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    page = client.post("/hazards/new", data={
        "lat": str(lat), "lon": str(lon), "category": "broken_light", "severity": "medium",
        "description": "路灯不亮", "idempotency_key": "la-1", "csrf_token": csrf})
    body = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'name="lat"' in body and distance in body  # the form again, with why

    open311 = app.test_client().post("/open311/v2/requests.json?lang=en", data={
        "service_code": "broken_light", "description": "Streetlight out",
        "lat": str(lat), "long": str(lon)})
    assert open311.status_code == 400
    [problem] = open311.get_json()
    assert problem["code"] == 400 and f"{distance} km" in problem["description"]
    assert hazards(engine) == before


def test_a_report_near_a_community_but_in_no_grid_is_its_own(
        sample_db: str, client: FlaskClient, engine: Engine, cli, tmp_path: Path) -> None:
    # a second community, so "the only community" no longer decides
    loaded = cli("load", "lights", str(lamps(tmp_path / "k.geojson", 26.94, 60.47)),
                 "--community", "Kotka")
    assert loaded.exit_code == 0, loaded.output
    lon, lat = just_outside(engine, 200)
    stored = json_report(client, lon, lat)
    assert stored.status_code == 201, stored.get_json()
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT h.grid_id, c.name FROM hazards h LEFT JOIN communities c "
            "ON c.id = h.community_id WHERE h.id = :i"), {"i": stored.get_json()["id"]}).one()
    assert row.grid_id is None and row.name == "白龙社区"
    before = hazards(engine)
    far = json_report(client, *just_outside(engine, 900))
    assert far.status_code == 422 and far.get_json()["error"]["field"] == "location"
    assert hazards(engine) == before
