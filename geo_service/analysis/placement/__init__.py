"""Where the next lights and cameras go: maximal covering, set covering and budget placement.

The coverage models (lighting, cameras) describe a placement question as a
:class:`CoverageProblem`: demand items (street pieces) with weights (priority-weighted length), a
sparse boolean matrix ``covers`` (demand x candidate site) and a cost per candidate. Demand that
existing working assets already light or see is marked ``already_covered``; a broken asset covers
nothing unless its repair candidate is chosen.

Three questions are answered exactly with HiGHS (``scipy.optimize.milp``), reporting the solver
status and the optimality gap:

* :func:`max_cover`: the K sites that newly cover the most weight;
* :func:`set_cover`: the fewest (or cheapest) sites covering all demand of a priority, with the
  demand no site can cover reported rather than failing;
* :func:`budget_cover`: the most weight covered for a total cost within a budget.

The model is reduced first (covered and uncoverable demand dropped, identical demand rows merged
with their weights summed, dominated sites dropped). When the reduced instance is larger than a
configurable size, or HiGHS runs out of time, the answer comes from lazy greedy plus a 1-swap
local search, with the best available bound beside it (the MILP dual bound, the LP relaxation,
or the greedy bounds). Everything stays sparse: no dense demand x site matrix is ever built.

The package, by job: :mod:`.problem` (the inputs and answers), :mod:`.questions` (the three
questions and the preset scenario), :mod:`.reduction`, :mod:`.exact` (the HiGHS models and their
LP relaxations), :mod:`.greedy` (greedy + swap and its bounds) and :mod:`.solve` (which of them
answers, and the result in original indices). Callers import from here.
"""

from geo_service.analysis.placement.problem import (
    HEURISTIC_SHARE,
    CoverageProblem,
    Method,
    PlacementResult,
    Question,
    ReducedProblem,
    ScenarioComparison,
    SolverOptions,
)
from geo_service.analysis.placement.questions import (
    budget_cover,
    compare_with_actual,
    covered_after,
    max_cover,
    preset_scenario,
    set_cover,
)
from geo_service.analysis.placement.reduction import (
    merge_identical_rows,
    reduce_problem,
    undominated_columns,
    unimplied_rows,
)
from geo_service.analysis.placement.solve import contribution_order

__all__ = [
    "HEURISTIC_SHARE", "CoverageProblem", "Method", "PlacementResult", "Question",
    "ReducedProblem", "ScenarioComparison", "SolverOptions", "budget_cover", "compare_with_actual",
    "contribution_order", "covered_after", "max_cover", "merge_identical_rows", "preset_scenario",
    "reduce_problem", "set_cover", "undominated_columns", "unimplied_rows",
]
