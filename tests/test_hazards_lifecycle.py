"""The closed loop's rules, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from geo_service.hazards import lifecycle
from geo_service.hazards.errors import InvalidInput, TransitionRefused
from geo_service.hazards.lifecycle import Action, allowed_actions, plan
from geo_service.vocab import LABELS_ZH, HazardStatus, Level

ACTIONS = [a.value for a in Action if a != Action.REPORT]
CLOSE_IN_ONE_STEP = ["invalid", "not_ours", "duplicate"]  # from every open status
EXPECTED = {  # status -> allowed actions at building level
    "reported": ["assign", "escalate", *CLOSE_IN_ONE_STEP],
    "assigned": ["assign", "start", "escalate", *CLOSE_IN_ONE_STEP],
    "in_progress": ["assign", "resolve", "escalate", *CLOSE_IN_ONE_STEP],
    "resolved": ["revisit", "escalate", "reopen", *CLOSE_IN_ONE_STEP],
    "revisited": ["close", "escalate", "reopen", *CLOSE_IN_ONE_STEP],
    "closed": ["reopen"],
}


def test_allowed_actions_per_status() -> None:
    assert set(EXPECTED) == {s.value for s in HazardStatus}
    for status, actions in EXPECTED.items():
        assert allowed_actions(status, "building") == actions
    # at the top level nothing escalates further
    assert "escalate" not in allowed_actions("assigned", "subdistrict")


def test_the_whole_loop() -> None:
    step = plan("reported", "building", None, "assign", new_assignee="金燕")
    assert (step.to_status, step.assignee) == ("assigned", "金燕")
    assert plan("assigned", "building", "金燕", "start").to_status == "in_progress"
    assert plan("in_progress", "building", "金燕", "resolve").to_status == "resolved"
    assert plan("resolved", "building", "金燕", "revisit", satisfaction=5).to_status == "revisited"
    step = plan("revisited", "building", "金燕", "close")
    assert (step.from_status, step.to_status, step.assignee) == ("revisited", "closed", "金燕")


@pytest.mark.parametrize("status", [s.value for s in HazardStatus])
def test_every_refused_action_names_status_and_allowed(status: str) -> None:
    for action in ACTIONS:
        if action in EXPECTED[status]:
            continue
        with pytest.raises(TransitionRefused) as refused:
            plan(status, "building", "x", action, new_assignee="y", reason="r", satisfaction=3)
        error = refused.value
        assert error.status == status and error.action == action
        assert error.allowed == EXPECTED[status]
        assert status.replace("_", " ") in error.message("en")
        assert all(a.replace("_", " ") in error.message("en") for a in EXPECTED[status])
        assert LABELS_ZH[status] in error.message("zh")


def test_values_an_action_needs() -> None:
    with pytest.raises(InvalidInput) as missing:
        plan("reported", "building", None, "assign")
    assert missing.value.field == "assignee"
    with pytest.raises(InvalidInput) as missing:
        plan("resolved", "building", None, "revisit")
    assert missing.value.field == "satisfaction"
    for bad in (0, 6):
        with pytest.raises(InvalidInput):
            plan("resolved", "building", None, "revisit", satisfaction=bad)
    with pytest.raises(InvalidInput) as missing:
        plan("assigned", "building", None, "escalate")
    assert missing.value.field == "reason"
    with pytest.raises(InvalidInput):
        plan("assigned", "building", None, "fly")


def test_escalation_chain() -> None:
    level = "building"
    for expected in ("grid", "community", "subdistrict"):
        step = plan("assigned", level, "x", "escalate", reason="本级无法解决")
        assert step.to_level == expected and step.to_status == "assigned"
        level = step.to_level
    with pytest.raises(TransitionRefused) as top:
        plan("assigned", level, "x", "escalate", reason="again")
    assert "subdistrict" in top.value.message("en")
    # a big matter may go straight to the community, never down
    assert plan("reported", "building", None, "escalate", reason="r",
                to_level="community").to_level == "community"
    with pytest.raises(InvalidInput):
        plan("reported", "grid", None, "escalate", reason="r", to_level="building")
    with pytest.raises(TransitionRefused):
        plan("closed", "building", None, "escalate", reason="r")


def test_reopen_targets() -> None:
    for status in ("resolved", "revisited", "closed"):
        assert plan(status, "grid", "x", "reopen").to_status == "in_progress"
        step = plan(status, "grid", "x", "reopen", to_status="assigned", new_assignee="y")
        assert (step.to_status, step.assignee) == ("assigned", "y")
    with pytest.raises(InvalidInput):
        plan("closed", "grid", "x", "reopen", to_status="resolved")


def test_due_times_and_overdue() -> None:
    start = datetime(2026, 6, 1, 9, tzinfo=UTC)
    days = {"urgent": 1, "high": 3, "medium": 7, "low": 15}
    for severity, n in days.items():
        assert lifecycle.due_at(start, severity) == start + timedelta(days=n)
    due = start + timedelta(days=1)
    later = due + timedelta(seconds=1)
    assert lifecycle.is_overdue("in_progress", due, later)
    # resolved: its resolve due no longer counts, its revisit due does (the one definition)
    assert not lifecycle.is_overdue("resolved", due, later)
    assert lifecycle.is_overdue("resolved", due, later, revisit_due=due)
    assert not lifecycle.is_overdue("revisited", due, later, revisit_due=due)
    assert not lifecycle.is_overdue("closed", due, later)
    assert not lifecycle.is_overdue("reported", due, due - timedelta(seconds=1))
    assert Level.SUBDISTRICT.value == lifecycle.LEVELS[-1]
