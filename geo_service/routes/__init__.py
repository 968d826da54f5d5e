"""Patrol route plans: compute (:mod:`.planner`), store in PostGIS (:mod:`.store`), export
(:mod:`.export`: GeoJSON, GPX), one call per action (:mod:`.service`)."""

from .export import TEAM_COLORS, plan_geojson, plan_gpx, team_color
from .planner import (
    POINT_MODES,
    REQUIRED_MODES,
    Plan,
    PlanError,
    PlanInputs,
    PlanOptions,
    compute_plan,
)
from .service import geojson_of, get_plan, gpx_of, make_plan

__all__ = [
    "POINT_MODES",
    "REQUIRED_MODES",
    "TEAM_COLORS",
    "Plan",
    "PlanError",
    "PlanInputs",
    "PlanOptions",
    "compute_plan",
    "geojson_of",
    "get_plan",
    "gpx_of",
    "make_plan",
    "plan_geojson",
    "plan_gpx",
    "team_color",
]
