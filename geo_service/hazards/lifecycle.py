"""The closed loop as data: which action each status allows, where it leads, due times.

reported -assign-> assigned -start-> in_progress -resolve-> resolved -revisit-> revisited
-close-> closed; ``reopen`` takes a resolved, revisited or closed hazard back to in_progress (or
assigned); ``escalate`` raises the level (building -> grid -> community -> subdistrict) at any
open status without changing it; ``assign`` also re-assigns an assigned or in-progress hazard.
Staff close a report in one step from any open status as ``invalid``, ``not_ours`` or
``duplicate`` (of an earlier hazard, ``duplicate_of``), always with a reason and never with a
satisfaction score (these closures are left out of the revisit figures).
Everything here is pure: :func:`plan` checks one step and says what it changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from geo_service.hazards.errors import InvalidInput, TransitionRefused
from geo_service.hazards.messages import Term
from geo_service.vocab import HazardStatus, Level, Severity

S = HazardStatus


class Action(StrEnum):
    """Events in a hazard's history."""

    REPORT = "report"
    ASSIGN = "assign"
    START = "start"
    RESOLVE = "resolve"
    REVISIT = "revisit"
    CLOSE = "close"
    ESCALATE = "escalate"
    REOPEN = "reopen"
    INVALID = "invalid"
    NOT_OURS = "not_ours"
    DUPLICATE = "duplicate"


# Closing in one step, without the loop (no resolve, no revisit, no satisfaction).
DISMISSALS: tuple[Action, ...] = (Action.INVALID, Action.NOT_OURS, Action.DUPLICATE)


# status -> {action: next status}; escalate keeps the status and is added for open statuses.
TRANSITIONS: dict[HazardStatus, dict[Action, HazardStatus]] = {
    S.REPORTED: {Action.ASSIGN: S.ASSIGNED},
    S.ASSIGNED: {Action.ASSIGN: S.ASSIGNED, Action.START: S.IN_PROGRESS},
    S.IN_PROGRESS: {Action.ASSIGN: S.ASSIGNED, Action.RESOLVE: S.RESOLVED},
    S.RESOLVED: {Action.REVISIT: S.REVISITED, Action.REOPEN: S.IN_PROGRESS},
    S.REVISITED: {Action.CLOSE: S.CLOSED, Action.REOPEN: S.IN_PROGRESS},
    S.CLOSED: {Action.REOPEN: S.IN_PROGRESS},
}
OPEN_STATUSES: tuple[HazardStatus, ...] = tuple(s for s in HazardStatus if s != S.CLOSED)
REOPEN_TARGETS: tuple[HazardStatus, ...] = (S.IN_PROGRESS, S.ASSIGNED)
LEVELS: tuple[Level, ...] = tuple(Level)  # in escalation order
DUE_DAYS: dict[Severity, int] = {Severity.URGENT: 1, Severity.HIGH: 3, Severity.MEDIUM: 7,
                                 Severity.LOW: 15}
# Days from the (last) resolve to the follow-up visit being due.
REVISIT_DAYS: dict[Severity, int] = {Severity.URGENT: 2, Severity.HIGH: 3, Severity.MEDIUM: 5,
                                     Severity.LOW: 7}
# Overdue, the one definition (map, list, dashboard, Open311, exports, reminders):
# "resolve" overdue: not yet resolved (these statuses) and past ``due_at``;
# "revisit" overdue: resolved, not yet revisited, and past its revisit due time.
RESOLVE_DUE_STATUSES: tuple[HazardStatus, ...] = (S.REPORTED, S.ASSIGNED, S.IN_PROGRESS)
REVISIT_DUE_STATUSES: tuple[HazardStatus, ...] = (S.RESOLVED,)


class Overdue(StrEnum):
    """The two kinds of overdue."""

    RESOLVE = "resolve"
    REVISIT = "revisit"


# Statuses in which a tied streetlight or camera counts as broken.
ASSET_BROKEN_STATUSES: tuple[HazardStatus, ...] = (S.REPORTED, S.ASSIGNED, S.IN_PROGRESS)


def allowed_actions(status: str, level: str) -> list[str]:
    """Actions allowed on a hazard in ``status`` at ``level``, in a stable order."""
    here = TRANSITIONS[HazardStatus(status)]
    actions = [a.value for a in Action if a in here]
    if status in OPEN_STATUSES and level != LEVELS[-1].value:
        actions.append(Action.ESCALATE.value)
    if status in OPEN_STATUSES:
        actions += [a.value for a in DISMISSALS]
    return sorted(actions, key=list(Action).index)


# The level a hazard must not have gone above for these roles to keep acting on it.
ROLE_LEVELS: dict[str, Level] = {"building_leader": Level.BUILDING, "grid_worker": Level.GRID}


def owns_level(level: str | None, role: str | None) -> bool:
    """Whether a user of ``role`` still owns a hazard at ``level``: a building leader or a grid
    worker no longer does once it has been escalated above their level; other roles always."""
    own = ROLE_LEVELS.get(role or "")
    return own is None or level is None or LEVELS.index(Level(level)) <= LEVELS.index(own)


def actions_for(status: str, level: str, role: str | None) -> list[str]:
    """The allowed actions a user of ``role`` still owns (none above their level: the page and
    the access policy ask the same :func:`owns_level`)."""
    return allowed_actions(status, level) if owns_level(level, role) else []


def is_open(status: str) -> bool:
    """Open means not closed (resolved and revisited hazards are still open)."""
    return status != S.CLOSED


def due_at(reported_at: datetime, severity: str) -> datetime:
    """When a hazard of ``severity`` reported at ``reported_at`` is due."""
    return reported_at + timedelta(days=DUE_DAYS[Severity(severity)])


def revisit_due_at(resolved_at: datetime | None, severity: str) -> datetime | None:
    """When the follow-up visit of a hazard resolved at ``resolved_at`` is due."""
    if resolved_at is None:
        return None
    return resolved_at + timedelta(days=REVISIT_DAYS[Severity(severity)])


def overdue_kind(status: str, due: datetime | None, revisit_due: datetime | None,
                 now: datetime) -> Overdue | None:
    """Which deadline a hazard has missed: resolve, revisit or none (``None``)."""
    if status in RESOLVE_DUE_STATUSES and due is not None and now > due:
        return Overdue.RESOLVE
    if status in REVISIT_DUE_STATUSES and revisit_due is not None and now > revisit_due:
        return Overdue.REVISIT
    return None


def is_overdue(status: str, due: datetime | None, now: datetime,
               revisit_due: datetime | None = None) -> bool:
    """Past the deadline of its current step (see :func:`overdue_kind`)."""
    return overdue_kind(status, due, revisit_due, now) is not None


def asset_broken(status: str) -> bool:
    """Whether a hazard in ``status`` keeps its light or camera marked broken."""
    return status in ASSET_BROKEN_STATUSES


@dataclass(frozen=True)
class Step:
    """What an accepted action changes."""

    action: Action
    from_status: str
    to_status: str
    from_level: str
    to_level: str
    assignee: str | None  # the hazard's assignee after the step
    extra: dict[str, Any] = field(default_factory=dict)  # kept with the event


def refuse(status: str, level: str, action: str) -> TransitionRefused:
    """The error for ``action`` not being allowed now."""
    allowed = allowed_actions(status, level)
    return TransitionRefused("hz.refused", status=status, action=action, allowed=allowed)


def plan(status: str, level: str, assignee: str | None, action: str, *,
         new_assignee: str | None = None, reason: str | None = None,
         satisfaction: int | None = None, to_level: str | None = None,
         to_status: str | None = None, duplicate_of: int | None = None) -> Step:
    """Check one action against the rules and return the step it makes.

    Raises :class:`TransitionRefused` when the action is not allowed in the current status or
    level, and :class:`InvalidInput` when a value the action needs is missing or wrong: assign
    needs ``new_assignee``, revisit a ``satisfaction`` of 1-5, escalate a ``reason`` (and an
    optional ``to_level`` above the current one), reopen an optional ``to_status``; the
    dismissals a ``reason``, ``duplicate`` also ``duplicate_of`` (whether that hazard exists is
    the caller's check).
    """
    try:
        act = Action(action)
    except ValueError:
        raise InvalidInput("action", "hz.one_of", value=action,
                           allowed=[a.value for a in Action if a != Action.REPORT]) from None
    if act.value not in allowed_actions(status, level):
        if act == Action.ESCALATE and is_open(status):
            raise TransitionRefused("hz.top_level", status=status, action=act.value,
                                    allowed=allowed_actions(status, level), level=Term(level))
        raise refuse(status, level, act.value)
    new_status, new_level, who = status, level, assignee
    if act == Action.ASSIGN:
        if not new_assignee:
            raise InvalidInput("assignee", "hz.required")
        new_status, who = TRANSITIONS[HazardStatus(status)][act].value, new_assignee
    elif act == Action.REVISIT:
        if satisfaction is None:
            raise InvalidInput("satisfaction", "hz.required")
        if not 1 <= satisfaction <= 5:
            raise InvalidInput("satisfaction", "hz.int_range", low=1, high=5)
        new_status = S.REVISITED.value
    elif act == Action.ESCALATE:
        if not reason:
            raise InvalidInput("reason", "hz.required")
        new_level = escalated_level(level, to_level)
    elif act == Action.REOPEN:
        target = to_status or S.IN_PROGRESS.value
        if target not in REOPEN_TARGETS:
            raise InvalidInput("status", "hz.reopen_target",
                               allowed=[Term(s.value) for s in REOPEN_TARGETS])
        new_status = target
        if new_assignee:
            who = new_assignee
    elif act in DISMISSALS:
        return dismissal(act, status, level, who, reason, duplicate_of)
    else:
        new_status = TRANSITIONS[HazardStatus(status)][act].value
    return Step(act, status, new_status, level, new_level, who)


def dismissal(act: Action, status: str, level: str, assignee: str | None,
              reason: str | None, duplicate_of: int | None) -> Step:
    """Close in one step: invalid, not ours, or a duplicate of ``duplicate_of``."""
    if not reason:
        raise InvalidInput("reason", "hz.required")
    extra: dict[str, Any] = {"reason": reason}
    if act == Action.DUPLICATE:
        if duplicate_of is None:
            raise InvalidInput("duplicate_of", "hz.required")
        extra["duplicate_of"] = duplicate_of
    return Step(act, status, S.CLOSED.value, level, level, assignee, extra)


def escalated_level(level: str, to_level: str | None) -> str:
    """The next level up, or ``to_level`` when it is above ``level``."""
    index = [lv.value for lv in LEVELS].index(level)
    if to_level is None:
        return LEVELS[index + 1].value
    if to_level not in [lv.value for lv in LEVELS]:
        raise InvalidInput("level", "hz.one_of", value=to_level,
                           allowed=[lv.value for lv in LEVELS])
    if [lv.value for lv in LEVELS].index(to_level) <= index:
        raise InvalidInput("level", "hz.level_not_higher", level=Term(level))
    return to_level
