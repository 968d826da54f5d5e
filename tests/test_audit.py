"""The audit log: database triggers record who changed what and when, on every write path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from geo_service.audit import acting_as, current_actor
from geo_service.hazards.inputs import EventRequest
from geo_service.hazards.service import apply_event


def entries(engine: Engine, where: str = "TRUE", **params: object) -> list:
    """Audit rows matching ``where``, in order."""
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT * FROM audit_log WHERE {where} ORDER BY id"),
                            params).all()


def audit_count(engine: Engine) -> int:
    """Rows in the audit log."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()


def test_a_lamp_changed_by_a_cli_load_is_logged_with_before_and_after(
        cli, engine: Engine, sample_dir: Path, tmp_path: Path) -> None:
    assert cli("load", "sample").exit_code == 0
    loaded = audit_count(engine)
    assert loaded > 1000  # every inserted row
    assert {r.actor for r in entries(engine)} == {current_cli_actor()}
    assert cli("load", "sample").exit_code == 0
    assert audit_count(engine) == loaded  # a reload that changes nothing logs nothing

    lights = json.loads((sample_dir / "sample" / "lights.geojson").read_text(encoding="utf-8"))
    lamp = lights["features"][0]
    assert lamp["properties"]["status"] == "working"
    lamp["properties"]["status"] = "broken"
    changed = tmp_path / "survey-0501.geojson"
    changed.write_text(json.dumps({"type": "FeatureCollection", "features": [lamp]}),
                       encoding="utf-8")
    result = cli("load", "lights", str(changed))
    assert result.exit_code == 0, result.output

    with engine.connect() as conn:
        lamp_id = conn.execute(text("SELECT id FROM lights WHERE source_id = :s"),
                               {"s": lamp["properties"]["source_id"]}).scalar_one()
    new = entries(engine, "id > :n", n=loaded)
    assert [(r.action, r.table_name, r.row_id) for r in new] == [
        ("update", "lights", str(lamp_id))]
    row = new[0]
    assert row.actor.startswith("cli:") and row.actor == current_cli_actor()
    assert row.before["status"] == "working" and row.after["status"] == "broken"
    assert (row.before["source"], row.after["source"]) == ("lights.geojson", "survey-0501.geojson")
    # the geometry is a digest, the same before and after, never the coordinates
    assert row.before["geom"] == row.after["geom"]
    assert row.after["geom"]["type"] == "POINT" and len(row.after["geom"]["md5"]) == 32
    assert "coordinates" not in json.dumps(row.after)

    shown = cli("audit", "--table", "lights", "--row", str(lamp_id))
    assert shown.exit_code == 0, shown.output
    assert "status: working -> broken" in shown.output and "cli:" in shown.output
    assert current_actor.get() is None  # the command line's actor does not leak


def current_cli_actor() -> str:
    """What the command line calls the person running it."""
    from geo_service.audit import cli_actor

    return cli_actor()


def test_a_hazard_event_is_logged_as_the_user_acting(sample_db: str, engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, username, password_hash, role) "
                          "VALUES (7, 'alice', 'hash', 'grid_worker')"))
        hazard = conn.execute(text("SELECT min(id) FROM hazards WHERE status = 'reported'"))\
            .scalar_one()
    mark = audit_count(engine)
    with acting_as("user:alice", 7), engine.begin() as conn:
        apply_event(conn, hazard, EventRequest("assign", actor="alice", assignee="王网格"))
    logged = entries(engine, "id > :n", n=mark)
    assert {(r.table_name, r.action) for r in logged} == {("hazards", "update"),
                                                         ("hazard_events", "insert")}
    assert {(r.actor, r.user_id) for r in logged} == {("user:alice", 7)}
    update = next(r for r in logged if r.table_name == "hazards")
    assert (update.before["status"], update.after["status"]) == ("reported", "assigned")
    assert update.row_id == str(hazard)

    # outside the block nobody claims the change: the database role is named instead
    mark = audit_count(engine)
    with engine.begin() as conn:
        apply_event(conn, hazard, EventRequest("start", actor="王网格"))
    outside = entries(engine, "id > :n", n=mark)
    assert outside and all(r.actor.startswith("db:") and r.user_id is None for r in outside)

    # an id that names no user never makes the write fail
    mark = audit_count(engine)
    with acting_as("user:ghost", 999), engine.begin() as conn:
        apply_event(conn, hazard, EventRequest("resolve", actor="ghost"))
    assert {(r.actor, r.user_id) for r in entries(engine, "id > :n", n=mark)} == {
        ("user:ghost", None)}


def test_the_audit_log_and_the_hazard_history_cannot_be_rewritten(sample_db: str,
                                                                  engine: Engine) -> None:
    assert audit_count(engine) > 0
    for statement in ("UPDATE audit_log SET actor = 'nobody'",
                      "DELETE FROM audit_log",
                      "TRUNCATE audit_log",
                      "UPDATE hazard_events SET note = 'rewritten'",
                      "TRUNCATE hazard_events CASCADE"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE actor = 'nobody'"))\
            .scalar_one() == 0


def test_secrets_never_reach_the_log(engine: Engine) -> None:
    with acting_as("user:admin"), engine.begin() as conn:
        user = conn.execute(text(
            "INSERT INTO users (username, password_hash, role) "
            "VALUES ('dan', 'scrypt$SECRET-ONE', 'resident') RETURNING id")).scalar_one()
        conn.execute(text("INSERT INTO api_tokens (user_id, name, token_sha256) "
                          "VALUES (:u, 'gis', repeat('7e', 32))"), {"u": user})
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET password_hash = 'scrypt$SECRET-TWO'"))
    mark = audit_count(engine)
    with engine.begin() as conn:  # every use of a token stamps it: not worth a log row
        conn.execute(text("UPDATE api_tokens SET last_used_at = now()"))
    assert audit_count(engine) == mark
    with engine.begin() as conn:
        conn.execute(text("UPDATE api_tokens SET revoked_at = now()"))
    logged = json.dumps([[r.before, r.after] for r in entries(engine)])
    assert "SECRET" not in logged and "7e7e7e" not in logged
    change = entries(engine, "table_name = 'users' AND action = 'update'")[0]
    assert change.after["password_hash"] == "redacted, changed"
    assert change.before["password_hash"] == "redacted"
    revoked = entries(engine, "table_name = 'api_tokens' AND action = 'update'")
    assert len(revoked) == 1 and revoked[0].after["revoked_at"] is not None


def test_geometry_edits_and_deletes_are_logged_by_digest(sample_db: str,
                                                         engine: Engine) -> None:
    mark = audit_count(engine)
    with acting_as("user:mapper"), engine.begin() as conn:
        conn.execute(text("UPDATE buildings SET geom = ST_Multi(ST_Buffer(ST_Centroid(geom), "
                          "0.0001)) WHERE id = 1"))
        conn.execute(text("DELETE FROM patrol_members WHERE id = 2"))
    update, delete = entries(engine, "id > :n", n=mark)
    assert update.before["geom"]["md5"] != update.after["geom"]["md5"]
    assert update.before["geom"]["type"] == "MULTIPOLYGON"
    assert len(json.dumps(update.after)) < 1000  # the outline is not copied into the log
    assert (delete.action, delete.table_name, delete.row_id, delete.after) == (
        "delete", "patrol_members", "2", None)
    assert delete.before["name"]


def test_truncate_of_an_audited_table_is_logged(sample_db: str, engine: Engine) -> None:
    mark = audit_count(engine)
    with acting_as("user:admin"), engine.begin() as conn:
        conn.execute(text("TRUNCATE patrol_members CASCADE"))
    logged = {(r.action, r.table_name, r.actor) for r in entries(engine, "id > :n", n=mark)}
    assert ("truncate", "patrol_members", "user:admin") in logged
    assert ("truncate", "patrol_tracks", "user:admin") in logged


def test_audit_command_filters(cli, engine: Engine) -> None:
    with acting_as("user:alice"), engine.begin() as conn:
        conn.execute(text("INSERT INTO patrol_members (name, unit) VALUES ('甲', 'A')"))
    with acting_as("user:bob"), engine.begin() as conn:
        conn.execute(text("UPDATE patrol_members SET unit = 'B'"))
    everything = cli("audit")
    assert everything.exit_code == 0, everything.output
    lines = [line for line in everything.output.splitlines() if "patrol_members" in line]
    assert len(lines) == 2 and "user:alice" in lines[0] and "unit: A -> B" in lines[1]
    only_bob = cli("audit", "--actor", "user:bob", "--json")
    rows = [json.loads(line) for line in only_bob.output.splitlines() if line.startswith("{")]
    assert [(r["actor"], r["action"]) for r in rows] == [("user:bob", "update")]
    assert cli("audit", "--since", "2999-01-01").output.count("patrol_members") == 0
    assert cli("audit", "--limit", "1").output.count("patrol_members") == 1
    assert cli("audit", "--since", "yesterday").exit_code != 0
