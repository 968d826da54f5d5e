"""One call per route-planning action, on an engine, for the command line and the web API.

Reading and computing happen in a read-only connection; storing the plan is one transaction,
so a failed plan stores nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from geo_service.patrol_routes import store
from geo_service.patrol_routes.export import plan_geojson, plan_gpx
from geo_service.patrol_routes.plan_types import Plan, PlanOptions
from geo_service.patrol_routes.planner import compute_plan


def make_plan(engine: Engine, options: PlanOptions, *, created_by: str | None = None,
              keep: bool = True) -> Plan:
    """Compute the plan ``options`` ask for and (with ``keep``) store it; returns the plan."""
    with engine.connect() as conn:
        inputs = store.read_inputs(conn, options)
    plan = compute_plan(inputs, options)
    if keep:
        with engine.begin() as conn:
            store.save_plan(conn, plan, created_by)
    return plan


def get_plan(engine: Engine, plan_id: int) -> tuple[Plan | None, dict[tuple[str, int], Any]]:
    """A stored plan and the current category / status of its stops."""
    with engine.connect() as conn:
        plan = store.load_plan(conn, plan_id)
        extras = store.stop_extras(conn, plan) if plan is not None else {}
    return plan, extras


def geojson_of(engine: Engine, plan: Plan) -> dict[str, Any]:
    """The plan as GeoJSON, with the stops' categories."""
    with engine.connect() as conn:
        extras = store.stop_extras(conn, plan)
    return plan_geojson(plan, extras)


def gpx_of(engine: Engine, plan: Plan) -> str:
    """The plan as GPX, with the stops' categories in the waypoint descriptions."""
    with engine.connect() as conn:
        extras = store.stop_extras(conn, plan)
    return plan_gpx(plan, extras)
