"""Planning: coverage gaps and where the next streetlights and cameras go, from the database.

``store`` holds every SQL read; ``layers``, ``coverage``, ``matrix``, ``plan`` and ``scenario``
are pure functions of the layers read; ``service`` ties them together (and caches) for the
command line and the web.
"""

from geo_service.planning.layers import PlanningError
from geo_service.planning.plan import PlanResult, Question
from geo_service.planning.service import (
    GapReport,
    gap_report,
    gaps_for,
    overview,
    place,
    placement_model,
    run_scenario,
)

__all__ = ["GapReport", "PlanResult", "PlanningError", "Question", "gap_report", "gaps_for",
           "overview", "place", "placement_model", "run_scenario"]
