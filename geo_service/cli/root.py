"""The ``geo-service`` root group: every command group registered with ``add_command``.

The command modules import only :mod:`geo_service.cli.common` and the domain; this module
imports them, so the imports run one way. Every command runs as ``cli:<OS user>`` in the audit
log: the root callback sets the actor and resets it when the root context closes (in-process
runs, as in the tests, do not leak it).
"""

from __future__ import annotations

import sys

import click
from sqlalchemy.exc import IntegrityError, OperationalError

from geo_service.audit import Actor, cli_actor, current_actor
from geo_service.cli.audit import audit
from geo_service.cli.backup import export, restore
from geo_service.cli.check import check
from geo_service.cli.common import echo_err
from geo_service.cli.db import db
from geo_service.cli.gaps import gaps
from geo_service.cli.load import load
from geo_service.cli.patrol import patrol
from geo_service.cli.place import place_group
from geo_service.cli.route import route
from geo_service.cli.serve import serve
from geo_service.cli.users import users
from geo_service.cli.worker import worker
from geo_service.config import load_settings
from geo_service.db.cluster import ClusterError
from geo_service.db.engine import DatabaseError
from geo_service.ingest import IngestError


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Patrol and hazard mapping for a community's grids (白龙社区巡防与隐患地图)."""
    ctx.obj = load_settings()
    token = current_actor.set(Actor(cli_actor()))
    ctx.call_on_close(lambda: current_actor.reset(token))


for command in (db, load, check, serve, gaps, place_group, route, patrol, export, restore, audit,
                users, worker):
    main.add_command(command)


def run() -> None:
    """Entry point that turns our own errors into a clear message and exit status 2."""
    try:
        main(standalone_mode=True)
    except (IngestError, DatabaseError, ClusterError) as error:
        echo_err(f"error: {error}")
        sys.exit(2)
    except OperationalError as error:
        echo_err(f"error: cannot use the database: {error.orig or error}")
        sys.exit(2)
    except IntegrityError as error:
        echo_err(f"error: the database refused the data, nothing was stored: {error.orig}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    run()
