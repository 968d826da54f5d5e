"""Turning untrusted request values into checked ones (no database)."""

from __future__ import annotations

from datetime import datetime

import pytest
from werkzeug.datastructures import MultiDict

from geo_service.hazards.errors import InvalidInput
from geo_service.hazards.inputs import (
    LOCAL_TZ,
    geometry,
    parse_event,
    parse_filters,
    parse_report,
    when,
)


def test_dates_and_times() -> None:
    assert when("2026-07-01", "d") == datetime(2026, 7, 1, tzinfo=LOCAL_TZ)
    assert when("2026-07-01", "d", end=True) == datetime(2026, 7, 2, tzinfo=LOCAL_TZ)
    assert when("2026-07-01T08:00:00Z", "d").utcoffset().total_seconds() == 0
    assert when("2026-07-01T08:00:00 08:00", "d") == when("2026-07-01T08:00:00+08:00", "d")
    assert when("2026-07-01T08:00", "d").tzinfo is LOCAL_TZ
    for bad in ("yesterday", "2026-13-01", "9999-12-31T23:59:59-10:00", "9999-12-31", ""):
        with pytest.raises(InvalidInput):
            when(bad, "d", end=True)


def test_filters_accept_repeats_and_commas() -> None:
    filters = parse_filters(MultiDict([("grid", "1,2"), ("grid", "3"), ("status", "open"),
                                       ("category", "parking"), ("overdue", "false"),
                                       ("bbox", "106.8,27.5,106.9,27.6")]))
    assert filters.grids == (1, 2, 3)
    assert "closed" not in filters.statuses and "resolved" in filters.statuses
    assert filters.categories == ("parking",) and filters.overdue is False
    assert filters.bbox == (106.8, 27.5, 106.9, 27.6)
    assert parse_filters({}).statuses == ()


def test_locations() -> None:
    for key in ("lon", "lng", "long"):
        rep = parse_report({"lat": "27.5", key: "106.8", "category": "other"})
        assert (rep.geometry.x, rep.geometry.y) == (106.8, 27.5)
    three_d = geometry({"type": "LineString", "coordinates": [[106.8, 27.5, 900],
                                                              [106.81, 27.5, 901]]})
    assert not three_d.has_z
    feature = geometry('{"type": "Feature", "geometry": {"type": "Point", '
                       '"coordinates": [106.8, 27.5]}}')
    assert feature.geom_type == "Point"


def test_report_values() -> None:
    rep = parse_report({"lat": 27.5, "lon": 106.8, "category": "other", "severity": "urgent",
                        "description": "  ab  ", "confirm_duplicate": "on",
                        "light_id": "7", "actor": "somebody else"}, actor="金燕")
    assert rep.description == "ab" and rep.confirm_duplicate is True and rep.light_id == 7
    assert rep.actor == "金燕"  # who reports is never a field
    for bad in ("a\x00b", "a\ud800b"):  # text PostgreSQL cannot store: a 400 naming the field
        with pytest.raises(InvalidInput) as refused:
            parse_report({"lat": 27.5, "lon": 106.8, "category": "other", "description": bad})
        assert (refused.value.field, refused.value.malformed) == ("description", True)
    assert rep.severity == "urgent"
    assert parse_report({"light_id": 3}).category is None  # filled from the asset later
    with pytest.raises(InvalidInput) as missing:
        parse_report({"lat": 27.5, "lon": 106.8})
    assert missing.value.field == "category"


def test_event_values() -> None:
    event = parse_event({"action": "revisit", "satisfaction": "4", "actor": "秘书"},
                        actor="金燕")
    assert (event.satisfaction, event.actor) == (4, "金燕")  # the body's actor is ignored
    assert parse_event({"action": "start", "actor": "秘书"}).actor is None
    with pytest.raises(InvalidInput):
        parse_event({"action": "revisit", "satisfaction": 4.5})
