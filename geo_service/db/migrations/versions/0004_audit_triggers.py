"""audit triggers: every change to a layer, hazard, patrol record or account lands in audit_log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:00:00

Row triggers (AFTER INSERT/UPDATE/DELETE) write one ``audit_log`` row per changed row, so no
write path (the loaders, the hazard loop, the web, a psql session) can skip the log. Who acts
comes from the transaction settings ``geo_service.actor`` and ``geo_service.user_id`` (set by
``geo_service.audit.install``); without them the actor is ``db:<database role>``.

``before``/``after`` are the row as JSON without its geometry (replaced by a short digest:
type, point count, SRID and the md5 of its EWKB) and without secrets (``password_hash``,
``token_sha256`` become ``"redacted"``, or ``"redacted, changed"`` when an update changed
them). An UPDATE that changes nothing (or only a "quiet" column such as a token's
``last_used_at``) writes nothing. TRUNCATE of an audited table is logged too, and TRUNCATE of
the two append-only tables (``hazard_events``, ``audit_log``) is refused like UPDATE and DELETE.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# table -> (key columns, geometry column ("geom" or ""), secret columns, quiet columns)
AUDITED: dict[str, tuple[str, str, str, str]] = {
    "grids": ("id", "geom", "", ""),
    "buildings": ("id", "geom", "", ""),
    "streets": ("id", "geom", "", ""),
    "lights": ("id", "geom", "", ""),
    "cameras": ("id", "geom", "", ""),
    "hazards": ("id", "geom", "", ""),
    "patrol_members": ("id", "", "", ""),
    "patrol_tracks": ("id", "geom", "", ""),
    "users": ("id", "", "password_hash", ""),
    "api_tokens": ("id", "", "token_sha256", "last_used_at"),
    "user_grids": ("user_id,grid_id", "", "", ""),
    "user_buildings": ("user_id,building_id", "", "", ""),
}
INSERT_ONLY: dict[str, tuple[str, str, str, str]] = {"hazard_events": ("id", "", "", "")}
APPEND_ONLY = {"hazard_events": "hazard_events_append_only", "audit_log": "audit_log_append_only"}

FUNCTIONS = r"""
CREATE FUNCTION audit_geom_digest(g geometry) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN g IS NULL THEN NULL ELSE jsonb_build_object(
        'type', GeometryType(g), 'points', ST_NPoints(g), 'srid', ST_SRID(g),
        'md5', md5(ST_AsEWKB(g))) END
$$;

CREATE FUNCTION audit_actor() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT left(coalesce(nullif(current_setting('geo_service.actor', true), ''),
                         'db:' || session_user), 100)
$$;

CREATE FUNCTION audit_user_id() RETURNS integer LANGUAGE plpgsql STABLE AS $$
DECLARE
    claimed text := nullif(current_setting('geo_service.user_id', true), '');
    found integer;
BEGIN
    -- an id that names no user is not stored (the foreign key would refuse the whole write)
    IF claimed ~ '^[0-9]{1,9}$' THEN
        SELECT u.id INTO found FROM users u WHERE u.id = claimed::integer;
    END IF;
    RETURN found;
END $$;

-- TG_ARGV: key columns (comma-separated), 'geom' or '', secret columns, quiet columns
CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    keys text[] := string_to_array(TG_ARGV[0], ',');
    has_geom boolean := TG_ARGV[1] = 'geom';
    secrets text[] := string_to_array(TG_ARGV[2], ',');
    quiet text[] := string_to_array(TG_ARGV[3], ',');
    old_row jsonb;
    new_row jsonb;
    digest jsonb;
    secret text;
    changed boolean;
BEGIN
    -- the geometry is digested, then nulled before to_jsonb (which would write it as GeoJSON)
    IF TG_OP <> 'INSERT' THEN
        IF has_geom THEN
            digest := audit_geom_digest(OLD.geom);
            OLD.geom := NULL;
        END IF;
        old_row := to_jsonb(OLD);
        IF has_geom THEN
            old_row := old_row || jsonb_build_object('geom', digest);
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF has_geom THEN
            digest := audit_geom_digest(NEW.geom);
            NEW.geom := NULL;
        END IF;
        new_row := to_jsonb(NEW);
        IF has_geom THEN
            new_row := new_row || jsonb_build_object('geom', digest);
        END IF;
    END IF;
    FOREACH secret IN ARRAY secrets LOOP
        changed := TG_OP = 'UPDATE' AND (old_row -> secret) IS DISTINCT FROM (new_row -> secret);
        IF old_row IS NOT NULL THEN
            old_row := old_row || jsonb_build_object(secret, 'redacted');
        END IF;
        IF new_row IS NOT NULL THEN
            new_row := new_row || jsonb_build_object(
                secret, CASE WHEN changed THEN 'redacted, changed' ELSE 'redacted' END);
        END IF;
    END LOOP;
    IF TG_OP = 'UPDATE' AND (old_row - quiet) = (new_row - quiet) THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_log (at, actor, user_id, action, table_name, row_id, before, after)
    VALUES (now(), audit_actor(), audit_user_id(), lower(TG_OP), TG_TABLE_NAME,
            left(array_to_string(ARRAY(
                SELECT coalesce(new_row, old_row) ->> k.name
                FROM unnest(keys) WITH ORDINALITY AS k(name, n) ORDER BY k.n), ':'), 100),
            old_row, new_row);
    RETURN NULL;
END $$;

CREATE FUNCTION audit_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (at, actor, user_id, action, table_name)
    VALUES (now(), audit_actor(), audit_user_id(), 'truncate', TG_TABLE_NAME);
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(FUNCTIONS)
    for table, args in {**AUDITED, **INSERT_ONLY}.items():
        events = "INSERT" if table in INSERT_ONLY else "INSERT OR UPDATE OR DELETE"
        quoted = ", ".join(f"'{arg}'" for arg in args)
        op.execute(f"CREATE TRIGGER audit_{table} AFTER {events} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION audit_row({quoted})")
        if table in AUDITED:
            op.execute(f"CREATE TRIGGER audit_{table}_truncate AFTER TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate()")
    for table, function in APPEND_ONLY.items():
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")


def downgrade() -> None:
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    for table in {**AUDITED, **INSERT_ONLY}:
        op.execute(f"DROP TRIGGER IF EXISTS audit_{table}_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS audit_{table} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS audit_truncate()")
    op.execute("DROP FUNCTION IF EXISTS audit_row()")
    op.execute("DROP FUNCTION IF EXISTS audit_user_id()")
    op.execute("DROP FUNCTION IF EXISTS audit_actor()")
    op.execute("DROP FUNCTION IF EXISTS audit_geom_digest(geometry)")
