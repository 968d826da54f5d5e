"""The front door: / opens the map, /overview counts what is loaded, /healthz tells the truth."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from geo_service.config import Settings
from geo_service.web.app import create_app


def test_root_opens_the_map_keeping_the_language(client) -> None:
    response = client.get("/?lang=en")
    assert response.status_code == 302
    assert response.headers["Location"] == "/map?lang=en"


def test_overview_counts_equal_the_database(sample_db: str, client, engine) -> None:
    page = client.get("/overview?lang=en").get_data(as_text=True)
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in ("grids", "buildings", "streets", "lights", "cameras", "hazards")}
    for name, table in (("Grids", "grids"), ("Buildings", "buildings"), ("Streets", "streets"),
                        ("Streetlights", "lights"), ("Cameras", "cameras"),
                        ("Hazards", "hazards")):
        assert f"<tr><th>{name}</th><td>{counts[table]}</td></tr>" in page
    assert "illustrative" in page
    chinese = client.get("/overview?lang=zh").get_data(as_text=True)  # the cookie kept "en"
    assert "已加载图层" in chinese and "示意" in chinese


def test_healthz_is_503_when_the_database_is_unreachable(client) -> None:
    assert client.get("/healthz").status_code == 200
    nowhere = create_engine("postgresql+psycopg://geo:x@127.0.0.1:9/none",
                            connect_args={"connect_timeout": 2})
    app = create_app(Settings(database_url="postgresql://geo:x@127.0.0.1:9/none"), engine=nowhere)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.get_json()["status"] == "unavailable"
