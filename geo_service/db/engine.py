"""Engines, sessions and migrations for whichever PostGIS the settings point at."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from geo_service import audit
from geo_service.config import Settings
from geo_service.db.cluster import EmbeddedCluster

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseError(RuntimeError):
    """The database cannot be used; the message says why and what to install or set."""


def resolve_url(settings: Settings, *, start: bool = True) -> str:
    """Return the database URL: DATABASE_URL, or the embedded cluster (started on demand)."""
    if settings.database_url:
        url = settings.database_url
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    cluster = EmbeddedCluster(settings.data_dir)
    if not cluster.status().running:
        if not start:
            raise DatabaseError(
                "the embedded PostGIS is not running; start it with: geo-service db up")
        print("starting the embedded PostGIS ...", file=sys.stderr)
    return cluster.start()  # idempotent: also (re)creates the database when it is missing


@cache
def engine_for(url: str) -> Engine:
    """One pooled engine per URL; every transaction tells the audit triggers who acts."""
    return audit.install(create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                                       connect_args={"connect_timeout": 5}))


def check_postgis(engine: Engine) -> str:
    """Return the PostGIS version, or fail saying what to install on that server."""
    with engine.connect() as conn:
        available = conn.execute(text(
            "SELECT name, installed_version FROM pg_available_extensions "
            "WHERE name IN ('postgis', 'pgrouting')")).all()
    found = {name: version for name, version in available}
    if "postgis" not in found:
        raise DatabaseError(
            f"the server at {engine.url.render_as_string(hide_password=True)} has no PostGIS; "
            "install it there (Debian: apt-get install postgresql-15-postgis-3) "
            "or unset DATABASE_URL to use the embedded cluster")
    return found["postgis"] or "available"


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at our migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Bring the database schema to the newest migration (creates PostGIS if allowed)."""
    engine = engine_for(url)
    check_postgis(engine)
    with engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def session_factory(url: str) -> sessionmaker[Session]:
    """Session factory bound to the engine for ``url``."""
    return sessionmaker(engine_for(url), expire_on_commit=False)


@contextmanager
def transaction(url: str) -> Iterator[Session]:
    """A session inside one transaction: committed on success, rolled back on any error."""
    with session_factory(url).begin() as session:
        yield session
