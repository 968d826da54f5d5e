"""Alembic environment: runs migrations on the URL the service resolved."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from geo_service.models import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001, D103
    # PostGIS and pgRouting own their tables; never touch them.
    return not (type_ == "table" and reflected and compare_to is None)


def run_migrations_online() -> None:
    """Run migrations with a connection to the configured database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata,
                          include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata,
                          include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
