"""``geo-service serve``: the web service under waitress."""

from __future__ import annotations

import click

from geo_service.cli.common import echo_err, ready_engine
from geo_service.config import Settings


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.pass_obj
def serve(settings: Settings, host: str, port: int) -> None:
    """Run the web service."""
    from geo_service.web.app import create_app

    engine = ready_engine(settings)
    app = create_app(settings, engine=engine)
    echo_err(f"serving on http://{host}:{port}/")
    from waitress import serve as waitress_serve

    waitress_serve(app, host=host, port=port, threads=16)
