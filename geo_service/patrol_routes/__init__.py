"""Patrol route plans: types (:mod:`.plan_types`), compute (:mod:`.planner`, with the output
of a walk in :mod:`.directions`), store in PostGIS (:mod:`.store`), export
(:mod:`.export`: GeoJSON, GPX), one call per action (:mod:`.service`)."""

from .export import TEAM_COLORS, plan_geojson, plan_gpx, team_color
from .plan_types import POINT_MODES, REQUIRED_MODES, Plan, PlanError, PlanInputs, PlanOptions
from .planner import compute_plan
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
