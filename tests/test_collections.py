"""/api/collections: OGC API - Features conventions, bbox filtering, paging, public fields only."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import shapely
from flask.testing import FlaskClient
from pyproj import Geod
from sqlalchemy import text

from geo_service.auth.privacy import PERSONAL_FIELDS
from geo_service.db.engine import engine_for
from geo_service.features import store
from geo_service.features.catalog import COLLECTIONS
from geo_service.planning.service import CACHE
from geo_service.web.collections import MAX_LIMIT

TABLES = ("grids", "buildings", "streets", "lights", "cameras", "hazards")
# The middle of the sample community: some of every layer inside, some outside.
MIDDLE = (106.826, 27.517, 106.834, 27.523)


def get_json(client: FlaskClient, url: str, status: int = 200) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.data[:300])
    return response.get_json()


def all_items(client: FlaskClient, cid: str, bbox: tuple[float, ...] | None = None
              ) -> dict[str, Any]:
    query = f"?limit={MAX_LIMIT}" + (f"&bbox={','.join(map(str, bbox))}" if bbox else "")
    page = get_json(client, f"/api/collections/{cid}/items{query}")
    assert page["numberReturned"] == page["numberMatched"] == len(page["features"])
    return page


def path_of(href: str) -> str:
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}"


def test_collections_are_listed_with_extents(sample_db: str, client: FlaskClient) -> None:
    listing = get_json(client, "/api/collections")
    ids = [c["id"] for c in listing["collections"]]
    assert ids == list(COLLECTIONS)
    assert set(ids) == {"grids", "buildings", "streets", "lights", "cameras", "hazards",
                        "routes", "gaps"}
    assert any(link["rel"] == "self" for link in listing["links"])
    for described in listing["collections"]:
        assert {link["rel"] for link in described["links"]} >= {"self", "items"}
        assert described["itemType"] == "feature" and described["title"]
    grids = get_json(client, "/api/collections/grids")
    (box,) = grids["extent"]["spatial"]["bbox"]
    assert 106.80 < box[0] < box[2] < 106.85 and 27.50 < box[1] < box[3] < 27.54
    hazards = get_json(client, "/api/collections/hazards")
    start, end = hazards["extent"]["temporal"]["interval"][0]
    assert start < end
    routes = get_json(client, "/api/collections/routes")
    assert routes["computed"] is False and routes["extent"]["spatial"]["bbox"] == []
    missing = get_json(client, "/api/collections/roads", status=404)
    assert missing["code"] == "NotFound"


@pytest.mark.parametrize("cid", TABLES)
def test_bbox_returns_exactly_the_features_in_the_box(
    sample_db: str, client: FlaskClient, cid: str
) -> None:
    everything = all_items(client, cid)["features"]
    box = shapely.box(*MIDDLE)
    expected = {f["id"] for f in everything
                if shapely.geometry.shape(f["geometry"]).intersects(box)}
    assert 0 < len(expected) < len(everything), "the test box should cut the layer"
    found = all_items(client, cid, MIDDLE)["features"]
    assert [f["id"] for f in found] == sorted(f["id"] for f in found)
    assert {f["id"] for f in found} == expected
    with engine_for(sample_db).connect() as conn:
        total = conn.execute(text(f"SELECT count(*) FROM {cid}")).scalar()
    assert len(everything) == total


def test_paging_links_and_counts(sample_db: str, client: FlaskClient) -> None:
    with engine_for(sample_db).connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM hazards")).scalar()
    url = "/api/collections/hazards/items?limit=10"
    seen, pages = [], 0
    while url:
        page = get_json(client, url)
        pages += 1
        assert page["type"] == "FeatureCollection" and page["numberMatched"] == total
        assert page["numberReturned"] == len(page["features"]) <= 10
        assert page["timeStamp"].endswith("Z")
        links = {link["rel"]: link["href"] for link in page["links"]}
        assert {"self", "collection"} <= set(links)
        assert ("prev" in links) == (pages > 1)
        seen.extend(f["id"] for f in page["features"])
        url = path_of(links["next"]) if "next" in links else None
    assert pages == -(-total // 10)
    assert len(seen) == len(set(seen)) == total

    page = get_json(client, f"/api/collections/hazards/items?limit=10&offset={total + 5}")
    assert page["numberReturned"] == 0 and page["numberMatched"] == total
    assert "next" not in {link["rel"] for link in page["links"]}

    bbox = ",".join(map(str, MIDDLE))
    first = get_json(client, f"/api/collections/buildings/items?bbox={bbox}&limit=5")
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    query = parse_qs(urlsplit(nxt).query)
    assert query["bbox"] == [bbox] and query["offset"] == ["5"] and query["limit"] == ["5"]
    second = get_json(client, path_of(nxt))
    assert second["numberMatched"] == first["numberMatched"]
    assert not {f["id"] for f in first["features"]} & {f["id"] for f in second["features"]}

    clamped = get_json(client, "/api/collections/buildings/items?limit=999999")
    self_link = next(link["href"] for link in clamped["links"] if link["rel"] == "self")
    assert parse_qs(urlsplit(self_link).query)["limit"] == [str(MAX_LIMIT)]


@pytest.mark.parametrize("query", [
    "bbox=1,2,3", "bbox=1,2,3,4,5,6", "bbox=a,b,c,d", "bbox=106.9,27.5,106.8,27.6",
    "bbox=106.8,27.6,106.9,27.5", "bbox=1,1,1,1", "bbox=0,0,200,1", "bbox=-181,0,1,1",
    "bbox=0,-91,1,1", "bbox=0,0,1,95", "bbox=nan,0,1,1", "bbox=0,0,inf,1",
    "limit=0", "limit=-3", "limit=ten", "limit=1.5", "offset=-1", "offset=x",
])
def test_bad_parameters_answer_400_json(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/collections/hazards/items?{query}")
    assert response.status_code == 400, query
    body = response.get_json()
    assert body["code"] == "InvalidParameterValue" and body["description"]


def personal_values(url: str) -> set[str]:
    """Every personal value stored in the database."""
    with engine_for(url).connect() as conn:
        rows = conn.execute(text("""
            SELECT leader_name FROM buildings UNION SELECT leader_phone FROM buildings
            UNION SELECT reporter_name FROM hazards UNION SELECT reporter_contact FROM hazards
            UNION SELECT assignee FROM hazards UNION SELECT staff FROM grids
            UNION SELECT idempotency_key FROM hazards""")).scalars()
        return {value for value in rows if value}


def test_no_personal_field_leaves_the_service(sample_db: str, client: FlaskClient) -> None:
    with engine_for(sample_db).begin() as conn:
        conn.execute(text("UPDATE hazards SET idempotency_key = 'secret-key-' || id, "
                          "assignee = coalesce(assignee, '王某某')"))
    secrets = personal_values(sample_db)
    assert len(secrets) > 100, "the sample should hold personal data to protect"
    for cid in COLLECTIONS:
        page = all_items(client, cid)
        keys = set().union(*(f["properties"] for f in page["features"])) if page[
            "features"] else set()
        assert not keys & PERSONAL_FIELDS, (cid, keys & PERSONAL_FIELDS)
        assert not keys - set(COLLECTIONS[cid].fields), (cid, keys - set(COLLECTIONS[cid].fields))
        body = json.dumps(page, ensure_ascii=False)
        leaked = [s for s in secrets if s in body]
        assert not leaked, (cid, leaked[:5])
        if page["features"]:
            one = page["features"][0]["id"]
            single = client.get(f"/api/collections/{cid}/items/{one}").get_data(as_text=True)
            assert not [s for s in secrets if s in single]
    buildings = all_items(client, "buildings")["features"]
    without = sum(1 for f in buildings if f["properties"]["has_leader"] is False)
    with engine_for(sample_db).connect() as conn:
        assert without == conn.execute(text(
            "SELECT count(*) FROM buildings WHERE leader_name IS NULL")).scalar() > 0


def test_one_feature_by_id(sample_db: str, client: FlaskClient) -> None:
    grid = get_json(client, "/api/collections/grids/items/1")
    assert grid["type"] == "Feature" and grid["id"] == 1
    assert grid["properties"]["number"] >= 1 and len(grid["properties"]["label_point"]) == 2
    assert {link["rel"] for link in grid["links"]} == {"self", "collection"}
    assert get_json(client, "/api/collections/grids/items/99999", status=404)["code"] == (
        "NotFound")
    get_json(client, "/api/collections/grids/items/abc", status=404)


def test_grids_carry_their_open_hazards_and_leaderless_buildings(
    sample_db: str, client: FlaskClient
) -> None:
    with engine_for(sample_db).connect() as conn:
        expected = {row.number: (row.open, row.total, row.no_leader) for row in conn.execute(text(
            """SELECT g.number,
                      (SELECT count(*) FROM hazards h WHERE h.grid_id = g.id
                           AND h.status <> 'closed') AS open,
                      (SELECT count(*) FROM buildings b WHERE b.grid_id = g.id) AS total,
                      (SELECT count(*) FROM buildings b WHERE b.grid_id = g.id
                           AND b.leader_name IS NULL) AS no_leader
               FROM grids g"""))}
    grids = all_items(client, "grids")["features"]
    found = {f["properties"]["number"]: (f["properties"]["open_hazards"],
                                         f["properties"]["buildings"],
                                         f["properties"]["buildings_without_leader"])
             for f in grids}
    assert found == expected
    assert any(v[0] > 0 for v in found.values()) and any(v[0] == 0 for v in found.values())


def test_queries_can_use_the_gist_index(sample_db: str) -> None:
    with engine_for(sample_db).connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        for cid in TABLES:
            coll = COLLECTIONS[cid]
            sql = f"EXPLAIN {store.select_sql(coll)} WHERE {store.IN_BOX}"
            plan = "\n".join(conn.execute(text(sql), dict(zip(
                ("x0", "y0", "x1", "y1"), MIDDLE, strict=True))).scalars())
            assert f"idx_{cid}_geom" in plan, plan


def test_camera_sectors_match_heading_fov_and_range(sample_db: str, client: FlaskClient) -> None:
    geod = Geod(ellps="WGS84")
    cameras = all_items(client, "cameras")["features"]
    assert cameras
    for camera in cameras:
        props = camera["properties"]
        sector = shapely.geometry.shape(props["sector"])
        point = shapely.geometry.shape(camera["geometry"])
        assert sector.is_valid and sector.buffer(1e-7).contains(point)
        area = abs(geod.geometry_area_perimeter(sector)[0])
        fov = 360.0 if props["heading_deg"] is None else props["fov_deg"]
        expected = 3.14159 * props["range_m"] ** 2 * fov / 360.0
        assert area == pytest.approx(expected, rel=0.03), camera["id"]
        if props["heading_deg"] is not None:
            far = shapely.geometry.Point(*geod.fwd(point.x, point.y, props["heading_deg"],
                                                   props["range_m"] * 0.9)[:2])
            behind = shapely.geometry.Point(*geod.fwd(point.x, point.y,
                                                      props["heading_deg"] + 180,
                                                      props["range_m"] * 0.5)[:2])
            assert sector.contains(far) and not sector.contains(behind)


def test_gaps_are_computed_for_the_grids_in_view(sample_db: str, client: FlaskClient) -> None:
    page = all_items(client, "gaps", MIDDLE)
    assert page["numberMatched"] > 0
    box = shapely.box(*MIDDLE)
    kinds = set()
    for feature in page["features"]:
        assert shapely.geometry.shape(feature["geometry"]).intersects(box)
        kinds.add(feature["properties"]["kind"])
        assert feature["properties"]["layer"] in ("lighting", "cameras")
    assert kinds <= {"dark", "unseen", "unknown"} and "dark" in kinds
    weights = [f["properties"]["weighted_m"] for f in page["features"]]
    assert weights == sorted(weights, reverse=True)
    # one cache, planning's, keyed by the database and its data version and the grids in view
    database = engine_for(sample_db).url

    def cached() -> list[tuple]:
        where = f"{database.host}:{database.port}/{database.database}"
        return [key for key in CACHE.items if key[0] == "map_gaps" and key[1][0] == where]

    assert cached() and all(key[2] for key in cached())
    version = cached()[-1][1]
    first = page["features"][0]
    again = get_json(client, f"/api/collections/gaps/items/{first['id']}")
    assert again["geometry"] == first["geometry"]
    assert {key[1] for key in cached()} == {version}
    with engine_for(sample_db).begin() as conn:  # new data: a new version, computed again
        conn.execute(text("UPDATE lights SET status = 'broken' WHERE id = 1"))
    all_items(client, "gaps", MIDDLE)
    assert cached()[-1][1] != version


def test_routes_are_an_empty_collection_saying_so(sample_db: str, client: FlaskClient) -> None:
    page = get_json(client, "/api/collections/routes/items")
    assert page["features"] == [] and page["numberMatched"] == 0
    assert page["note"]


def test_collections_are_in_the_openapi_document(client: FlaskClient) -> None:
    from geo_service.web import openapi

    paths = openapi.document()["paths"]
    for path in ("/api/collections", "/api/collections/{collectionId}",
                 "/api/collections/{collectionId}/items",
                 "/api/collections/{collectionId}/items/{featureId}"):
        assert "get" in paths[path], path
    names = [p["name"] for p in paths["/api/collections/{collectionId}/items"]["get"]["parameters"]]
    assert {"bbox", "limit", "offset"} <= set(names)


def test_an_empty_database_answers_empty_collections(client: FlaskClient) -> None:
    for described in get_json(client, "/api/collections")["collections"]:
        assert described["extent"]["spatial"]["bbox"] == []
    for cid in COLLECTIONS:
        page = get_json(client, f"/api/collections/{cid}/items?bbox=106.8,27.5,106.9,27.6")
        assert page["features"] == [] and page["numberMatched"] == 0, cid
    assert client.get("/map").status_code == 200


def test_the_routes_collection_follows_the_policy_of_api_routes(
    sample_db: str, app, client: FlaskClient, login_as  # noqa: ANN001
) -> None:
    """One policy table decides /api/routes and the routes collection: the public and
    residents get an empty collection saying why (no route, no stop text), staff the plan."""
    from geo_service.auth import policy

    patrol = login_as("patrol")
    made = patrol.post("/api/routes", json={"grids": [3], "teams": 1, "points": "hazards"})
    assert made.status_code == 201, made.get_data(as_text=True)[:300]
    stop_texts = [f["properties"].get("detail") for f in made.get_json()["features"]
                  if f["properties"]["kind"] == "stop" and f["properties"].get("detail")]
    assert stop_texts, "the plan's stops describe problems"
    staff = get_json(patrol, "/api/collections/routes/items?limit=1000")
    assert staff["numberMatched"] > 0 and "note" not in staff
    for reader in (client, login_as("resident")):
        assert reader.get("/api/routes").status_code in (401, 403)
        answer = reader.get("/api/collections/routes/items?limit=1000")
        assert answer.status_code == 200
        page = answer.get_json()
        assert page["features"] == [] and page["numberMatched"] == 0 and page["note"]
        for text_of_a_stop in stop_texts:
            assert text_of_a_stop.encode() not in answer.data
        some = staff["features"][0]["id"]
        assert reader.get(f"/api/collections/routes/items/{some}").status_code == 404
    assert get_json(patrol, f"/api/collections/routes/items/{staff['features'][0]['id']}")
    staff_only, _ = policy.rule_for("api_routes.list_plans", "GET")
    assert policy.POLICY[("collections.items/routes", "GET")] is staff_only
