"""Who may do what: ONE table keyed by Flask endpoint name and HTTP method.

:data:`POLICY` maps ``(endpoint, method)`` to a :class:`Rule` naming the roles allowed
(:data:`PUBLIC` is somebody who has not signed in) and, for per-hazard actions, a scope: the
hazard's grid, building or level must be the user's. ``"blueprint.*"`` keys cover every
endpoint of a blueprint that has no entry of its own. HEAD and OPTIONS count as GET. An
endpoint without any rule falls back to :data:`DEFAULT_READ` for GET (public) and
:data:`DEFAULT_WRITE` for everything else (community admin only), with a warning in the log
naming it, so a new route gets a rule.

The before-request hook in :mod:`geo_service.web.auth` asks :func:`decide` for every request.
Roles (``users.role``):

resident
    reports hazards; sees their own reports with their contact (``/account``).
building_leader
    the hazards of their buildings (``user_buildings``): sees the reporter, acts on them.
grid_worker
    the hazards of their grids (``user_grids``): sees the reporter, acts on them.
patrol
    patrol routes and logs (track uploads, route planning) and reporting.
community_admin
    everything in the community, and the accounts.
subdistrict
    reads everything; acts on hazards escalated to the subdistrict level.
public
    the map, collections and Open311 (public fields only), and reporting when
    ``Settings.allow_anonymous_reports`` is on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from geo_service.hazards.lifecycle import owns_level
from geo_service.models import Role
from geo_service.vocab import Level

log = logging.getLogger(__name__)

PUBLIC = "public"
RESIDENT = Role.RESIDENT.value
BUILDING_LEADER = Role.BUILDING_LEADER.value
GRID_WORKER = Role.GRID_WORKER.value
PATROL = Role.PATROL.value
COMMUNITY_ADMIN = Role.COMMUNITY_ADMIN.value
SUBDISTRICT = Role.SUBDISTRICT.value

ROLES: tuple[str, ...] = tuple(r.value for r in Role)
EVERYONE = frozenset({PUBLIC, *ROLES})
SIGNED_IN = frozenset(ROLES)
STAFF = SIGNED_IN - {RESIDENT}  # reads the staff pages (lists, dashboard, planning)
HAZARD_ACTORS = frozenset({BUILDING_LEADER, GRID_WORKER, COMMUNITY_ADMIN, SUBDISTRICT})
PLANNERS = frozenset({COMMUNITY_ADMIN, SUBDISTRICT})
PATROL_TEAM = frozenset({PATROL, GRID_WORKER, COMMUNITY_ADMIN})
ADMINS = frozenset({COMMUNITY_ADMIN})
# Who may upload a track for another patrol member (there is no patrol-leader role: the
# community admin leads the patrol team); the others upload their own.
TRACK_LEADS = frozenset({COMMUNITY_ADMIN})

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Rule:
    """Roles allowed; ``scope`` = "hazard" checks the hazard in the URL against the user;
    ``reporting`` lets the public in only while anonymous reports are allowed."""

    roles: frozenset[str]
    scope: str | None = None
    reporting: bool = False
    why: str = ""


READ = Rule(EVERYONE, why="public data")
REPORT = Rule(frozenset({PUBLIC, *ROLES}), reporting=True,
              why="everyone reports; the public only while anonymous reports are allowed")
ACT = Rule(HAZARD_ACTORS, scope="hazard",
           why="grid worker: own grids; building leader: own buildings; subdistrict: "
               "escalated to it; community admin: all")
STAFF_READ = Rule(STAFF, why="staff pages")
PLAN = Rule(PLANNERS, why="placement runs: community admin and subdistrict")
ACCOUNT = Rule(SIGNED_IN, why="one's own account")
ADMIN = Rule(ADMINS, why="accounts and tokens")
SECOND_FACTOR = Rule(PLANNERS, why="TOTP second factor: community admin and subdistrict")
PATROL_READ = Rule(STAFF, why="patrol routes and logs: staff")
PATROL_WRITE = Rule(PATROL_TEAM, why="track uploads and route planning: patrol team")
DEFAULT_READ = Rule(EVERYONE, why="no rule: GET is public")
DEFAULT_WRITE = Rule(ADMINS, why="no rule: writes are for the community admin only")

POLICY: dict[tuple[str, str], Rule] = {
    # files, health, the map, overview
    ("static", "GET"): READ,
    ("assets.vendored", "GET"): READ,
    ("health.healthz", "GET"): READ,
    ("home.index", "GET"): READ,
    ("home.overview", "GET"): READ,
    ("map_page.map_view", "GET"): READ,
    ("openapi.openapi_json", "GET"): READ,
    # OGC API collections: public fields only
    ("collections.collection_list", "GET"): READ,
    ("collections.collection", "GET"): READ,
    ("collections.items", "GET"): READ,
    ("collections.item", "GET"): READ,
    # ... except the patrol routes (stops name buildings and problems): the rule of
    # /api/routes. "<endpoint>/<collection id>" keys are asked by the view
    # (may_read_collection): the refused get an empty collection saying why.
    ("collections.items/routes", "GET"): PATROL_READ,
    ("collections.item/routes", "GET"): PATROL_READ,
    ("tiles.tile", "GET"): READ,  # vector tiles: the same public fields
    # hazards over JSON: public fields to the public, more to staff in scope
    ("api_hazards.list_all", "GET"): READ,
    ("api_hazards.get_one", "GET"): READ,
    ("api_hazards.photo", "GET"): READ,
    ("api_hazards.create", "POST"): REPORT,
    ("api_hazards.post_event", "POST"): ACT,
    # Open311: public fields; reporting as above
    ("open311.discovery", "GET"): READ,
    ("open311.services", "GET"): READ,
    ("open311.service_definition", "GET"): READ,
    ("open311.get_requests", "GET"): READ,
    ("open311.get_request", "GET"): READ,
    ("open311.post_request", "POST"): REPORT,
    # hazard pages
    ("hazard_pages.new", "GET"): REPORT,
    ("hazard_pages.new_posted", "POST"): REPORT,
    ("hazard_pages.detail", "GET"): READ,  # the reporter and the actions only in scope
    ("hazard_pages.act", "POST"): ACT,
    ("hazard_pages.listing", "GET"): STAFF_READ,
    ("dashboard.page", "GET"): STAFF_READ,
    # lighting and camera planning
    ("plan_lighting.page", "GET"): STAFF_READ,
    ("api_planning.context", "GET"): STAFF_READ,
    ("api_planning.gaps", "GET"): STAFF_READ,
    ("api_planning.scenario", "GET"): STAFF_READ,
    ("api_planning.plan_lights", "POST"): PLAN,
    ("api_planning.plan_cameras", "POST"): PLAN,
    # patrol routes and logs
    ("plan_patrol.page", "GET"): PATROL_READ,
    ("plan_patrol.route_sheet", "GET"): PATROL_READ,
    ("api_routes.list_plans", "GET"): PATROL_READ,
    ("api_routes.plan_geojson", "GET"): PATROL_READ,
    ("api_routes.plan_gpx", "GET"): PATROL_READ,
    ("api_routes.create_plan", "POST"): PATROL_WRITE,
    ("api_routes.upload_track", "POST"): PATROL_WRITE,
    ("plan_patrol.*", "GET"): PATROL_READ,  # later pages of these blueprints
    ("plan_patrol.*", "POST"): PATROL_WRITE,
    ("api_routes.*", "GET"): PATROL_READ,
    ("api_routes.*", "POST"): PATROL_WRITE,
    # the installable patrol app: the page for patrol and staff; the browser fetches the
    # manifest without credentials, and the worker script is the same for everyone
    ("patrol_app.page", "GET"): Rule(STAFF, why="the patrol app: patrol members and staff"),
    ("patrol_app.fresh_csrf", "GET"): Rule(STAFF, why="the patrol app's queue sends reports"),
    ("patrol_app.manifest", "GET"): READ,
    ("patrol_app.service_worker", "GET"): READ,
    # the inbox (one's own notifications) and the private follow link (whoever holds it)
    ("notifications.*", "GET"): ACCOUNT,
    ("notifications.*", "POST"): ACCOUNT,
    ("follow.*", "GET"): READ,
    ("follow.*", "POST"): Rule(EVERYONE, why="whoever holds the private follow link"),
    # accounts
    ("auth_pages.login", "GET"): READ,
    ("auth_pages.login_posted", "POST"): READ,
    ("auth_pages.login_code", "GET"): READ,
    ("auth_pages.login_code_posted", "POST"): READ,
    ("auth_pages.totp_setup", "GET"): SECOND_FACTOR,
    ("auth_pages.totp_qr", "GET"): SECOND_FACTOR,
    ("auth_pages.totp_confirm", "POST"): SECOND_FACTOR,
    ("auth_pages.totp_disable", "POST"): SECOND_FACTOR,
    ("auth_pages.logout", "POST"): ACCOUNT,
    ("auth_pages.account", "GET"): ACCOUNT,
    ("auth_pages.password", "POST"): ACCOUNT,
    ("auth_pages.session_end", "POST"): ACCOUNT,
    ("auth_pages.sessions_end_others", "POST"): ACCOUNT,
    ("auth_pages.user_sessions_end", "POST"): ADMIN,
    ("auth_pages.users", "GET"): ADMIN,
    ("auth_pages.user_create", "POST"): ADMIN,
    ("auth_pages.user_active", "POST"): ADMIN,
    ("auth_pages.token_create", "POST"): ADMIN,
    ("auth_pages.token_revoke", "POST"): ADMIN,
}

_warned: set[tuple[str, str]] = set()


def method_key(method: str) -> str:
    """HEAD and OPTIONS are read like GET."""
    method = method.upper()
    return "GET" if method in ("HEAD", "OPTIONS") else method


def rule_for(endpoint: str, method: str, *, warn: bool = True) -> tuple[Rule, bool]:
    """The rule for ``endpoint`` + ``method`` and whether the table names it (exactly or by
    its blueprint); unnamed ones get the default and a warning (once per endpoint)."""
    method = method_key(method)
    rule = POLICY.get((endpoint, method))
    if rule is None and "." in endpoint:
        rule = POLICY.get((endpoint.rsplit(".", 1)[0] + ".*", method))
    if rule is not None:
        return rule, True
    if warn and (endpoint, method) not in _warned:
        _warned.add((endpoint, method))
        log.warning("no access rule for %s %s: using the default (%s); add it to "
                    "geo_service.auth.policy.POLICY", method, endpoint,
                    "public" if method == "GET" else "community admin only")
    return (DEFAULT_READ if method == "GET" else DEFAULT_WRITE), False


# -- scope ------------------------------------------------------------------------------------
def may_act_on(role: str, user: Any, hazard: Mapping[str, Any]) -> bool:
    """Whether a user of ``role`` may move this hazard on (its grid/building/level)."""
    if role == COMMUNITY_ADMIN:
        return True
    if role == GRID_WORKER:
        return hazard.get("grid_id") is not None and hazard["grid_id"] in user.grid_ids
    if role == BUILDING_LEADER:
        return (hazard.get("building_id") is not None
                and hazard["building_id"] in user.building_ids)
    if role == SUBDISTRICT:
        return hazard.get("level") == Level.SUBDISTRICT.value
    return False


def may_see_private(user: Any, hazard: Mapping[str, Any]) -> bool:
    """Whether ``user`` (None: the public) may see this hazard's reporter name and contact."""
    if user is None:
        return False
    role = user.role
    if role in (COMMUNITY_ADMIN, SUBDISTRICT):
        return True
    if role == RESIDENT:
        return hazard.get("reporter_user_id") == user.id
    if role in (GRID_WORKER, BUILDING_LEADER):
        return may_act_on(role, user, hazard) or hazard.get("reporter_user_id") == user.id
    return hazard.get("reporter_user_id") == user.id


def may_read_collection(endpoint: str, collection_id: str, user: Any) -> bool:
    """Whether ``user`` (None: the public) may read the features of a collection: the rule of
    ``"<endpoint>/<collection id>"`` when the table has one, else the endpoint's."""
    rule = POLICY.get((f"{endpoint}/{collection_id}", "GET"))
    if rule is None:
        rule, _ = rule_for(endpoint, "GET", warn=False)
    return (PUBLIC if user is None else user.role) in rule.roles


# -- who acts ----------------------------------------------------------------------------------
def actor_of(user: Any) -> str:
    """The name an action is recorded under: the signed-in user's (display name, else
    username), :data:`PUBLIC` without an account. A request never names it: an ``actor``
    field in a body or form is ignored everywhere (the API, the pages, Open311)."""
    return PUBLIC if user is None else str(user.name)


def may_upload_for_others(user: Any) -> bool:
    """Whether ``user`` may upload a GPS track for another roster member (patrol leads);
    everybody else's track is stored for themselves."""
    return user is not None and user.role in TRACK_LEADS


@dataclass(frozen=True)
class Decision:
    """``status`` 0 = allowed, 401 = sign in first, 403 = refused; ``reason`` a message key."""

    status: int
    reason: str = ""
    rule: Rule | None = None

    @property
    def allowed(self) -> bool:
        return self.status == 0


def decide(endpoint: str | None, method: str, user: Any, *, anonymous_reports: bool = True,
           hazard: Mapping[str, Any] | None = None) -> Decision:
    """Allowed or refused, before the view runs. ``hazard`` (grid_id, building_id, level,
    reporter_user_id) is needed for scoped rules; None means no such hazard (the view answers
    404 for those it may see)."""
    if endpoint is None:  # no route matched: 404/405 follow
        return Decision(0)
    rule, _ = rule_for(endpoint, method)
    role = PUBLIC if user is None else user.role
    if role == PUBLIC and rule.reporting and not anonymous_reports:
        return Decision(401, "auth_sign_in_to_report", rule)
    if role not in rule.roles:
        return Decision(401 if user is None else 403,
                        "auth_sign_in" if user is None else "auth_role", rule)
    if rule.scope == "hazard" and hazard is not None and not (
            may_act_on(role, user, hazard) and owns_level(hazard.get("level"), role)):
        return Decision(403, "auth_scope", rule)
    return Decision(0, rule=rule)


def roles_allowed(endpoint: str, method: str, *, anonymous_reports: bool = True) -> set[str]:
    """The roles (``public`` included) a rule lets through, scope aside (for tests and docs)."""
    rule, _ = rule_for(endpoint, method, warn=False)
    roles = set(rule.roles)
    if rule.reporting and not anonymous_reports:
        roles.discard(PUBLIC)
    return roles
