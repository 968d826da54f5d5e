"""The patrol rota: Latin-square zone rotation, balanced load, rules and availability."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from geo_service.analysis.rota import (
    Member,
    RotaError,
    make_rota,
    read_roster,
    rota_csv,
    zones_from_grids,
    zones_from_routes,
)
from geo_service.cli.rota_page import rota_html
from geo_service.config import PROJECT_ROOT

MONDAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def roster() -> list[Member]:
    return read_roster(PROJECT_ROOT / "data" / "sample" / "roster.csv")


def test_sample_roster(roster: list[Member]) -> None:
    assert len(roster) == 19
    assert {m.unit for m in roster} == {"派出所", "综治中心", "社区服务中心"}
    assert all(m.phone and m.active for m in roster)


def test_everyone_rotates_through_every_zone_with_balanced_load(roster: list[Member]) -> None:
    zones = zones_from_grids([[1], [2], [3], [4]])
    rota = make_rota(roster, zones, MONDAY, team_size=2, max_per_week=6)
    assert rota.weeks == 4  # one full cycle
    covered = rota.zones_covered()
    assert all(found == {0, 1, 2, 3} for found in covered.values())
    # Latin square: each member is in charge of every zone once; each week every zone has a group
    for member in roster:
        assert sorted(rota.home[(member.name, w)] for w in range(4)) == [0, 1, 2, 3]
    for week in range(4):
        assert set(Counter(rota.home[(m.name, week)] for m in roster).values()) <= {4, 5}
    load = rota.load()
    assert max(load.values()) - min(load.values()) <= 1
    for week in range(4):
        weekly = rota.load(week)
        assert max(weekly.values()) <= 6
        assert max(weekly.values()) - min(weekly.values()) <= 1
    for member in roster:  # most shifts in the zone one is in charge of
        mine = [a for a in rota.assignments if a.member == member.name]
        home = sum(a.zone == rota.home[(a.member, rota.week_of(a.day))] for a in mine)
        assert home >= len(mine) / 2


def test_every_shift_is_filled_once_a_day_per_member(roster: list[Member]) -> None:
    rota = make_rota(roster, zones_from_routes(3), MONDAY, shifts=2, team_size=2,
                     max_per_week=5)
    assert rota.weeks == 3
    slots = Counter((a.day, a.shift, a.zone) for a in rota.assignments)
    assert len(slots) == 21 * 2 * 3 and set(slots.values()) == {2}
    per_day = Counter((a.member, a.day) for a in rota.assignments)
    assert max(per_day.values()) == 1
    assert all(covered == {0, 1, 2} for covered in rota.zones_covered().values())


def test_unavailability_is_respected(roster: list[Member]) -> None:
    away = roster[0].name
    evening_off = roster[1].name
    unavailable = [(away, MONDAY + timedelta(days=d)) for d in range(7)]
    unavailable += [(evening_off, MONDAY + timedelta(days=d), 1) for d in range(28)]
    rota = make_rota(roster, zones_from_grids([[1], [2], [3], [4]]), MONDAY, team_size=2,
                     max_per_week=7, unavailable=unavailable)
    assert rota.load(0)[away] == 0
    assert not [a for a in rota.assignments if a.member == evening_off and a.shift == 1]
    others = {name: n for name, n in rota.load().items() if name not in (away, evening_off)}
    assert max(others.values()) - min(others.values()) <= 1
    assert rota.load()[away] < min(others.values())  # away a week: fewer shifts


def test_impossible_rotas_say_why(roster: list[Member]) -> None:
    zones = zones_from_grids([[1], [2], [3], [4]])
    with pytest.raises(RotaError, match="member-shifts"):
        make_rota(roster, zones, MONDAY, team_size=3, max_per_week=4)
    everyone_off = [(m.name, MONDAY + timedelta(days=2)) for m in roster[:17]]
    with pytest.raises(RotaError, match="2026-06-03 shift 1: 2 members available, 4 needed"):
        make_rota(roster, zones, MONDAY, team_size=1, unavailable=everyone_off)


def test_inactive_members_are_left_out(roster: list[Member]) -> None:
    retired = Member(roster[0].name, roster[0].unit, active=False)
    rota = make_rota([retired, *roster[1:]], zones_from_routes(2), MONDAY, weeks=1)
    assert roster[0].name not in rota.load()


def test_printable_rota_in_chinese_and_english(roster: list[Member]) -> None:
    rota = make_rota(roster, zones_from_grids([[1, 2], [3, 4]]), MONDAY)
    html = rota_html(rota)
    assert '<html lang="zh-CN">' in html and "巡防排班表" in html
    for header in ("片区", "班次", "周一", "2026-06-01", "1+2号网格", "负责片区", "第2周"):
        assert header in html
    first = rota.at(MONDAY, 0, 0)
    assert first and all(name in html for name in first)
    english = rota_html(rota, lang="en")
    assert '<html lang="en">' in english and "Patrol rota" in english
    for header in ("Zone", "Shift", "Mon", "Grid 1+2", "Police station", "Week 2"):
        assert header in english
    assert "巡防排班表" not in english
    one_week = rota_html(rota, weeks=[1])
    assert "第2周" in one_week and "2026-06-08" in one_week and "2026-06-01" not in one_week
    table = rota_csv(rota).splitlines()
    assert table[0] == "日期,星期,班次,开始,结束,片区,队员,单位"
    assert len(table) == 1 + len(rota.assignments)
    assert rota_csv(rota, "en").splitlines()[0] == "Date,Day,Shift,Start,End,Zone,Member,Unit"


def test_roster_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "team.csv"
    bad.write_text("姓名,电话\n张三,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="team.csv: no 'unit' column"):
        read_roster(bad)
    twice = tmp_path / "twice.csv"
    twice.write_text("姓名,单位,在岗\n张三,派出所,是\n张三,派出所,否\n", encoding="utf-8")
    with pytest.raises(ValueError, match="twice.csv: names listed twice: 张三"):
        read_roster(twice)
    chinese = tmp_path / "cn.csv"
    chinese.write_text("\ufeff姓名,单位,在岗\n张三,派出所,是\n李四,综治中心,否\n",
                       encoding="utf-8")
    assert [(m.name, m.active) for m in read_roster(chinese)] == [("张三", True), ("李四", False)]
