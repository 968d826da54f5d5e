"""The load report a user can act on: every rejected, skipped, repaired or left-out feature of
a load, one CSV row each (file, feature id, field, what happened, why)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from .problems import Problem, what_happened

COLUMNS = ("file", "layer", "feature", "field", "action", "reason")


def report_rows(layer: str, problems: Iterable[Problem], left_out: Iterable[Problem] = ()
                ) -> list[dict[str, str]]:
    """One row per finding of ``layer``; left-out source features get the action ``left out``."""
    rows = [{"file": p.file, "layer": layer, "feature": p.feature, "field": p.field or "",
             "action": what_happened(p), "reason": p.reason} for p in problems]
    rows += [{"file": p.file, "layer": layer, "feature": p.feature, "field": p.field or "",
              "action": "left out", "reason": p.reason.removeprefix("left out: ")}
             for p in left_out]
    return rows


def write_report(path: Path, rows: Iterable[dict[str, str]]) -> int:
    """Write the rows as UTF-8 CSV with a BOM (so a spreadsheet shows Chinese text right);
    returns how many were written. The file is replaced whole, never appended to."""
    rows = list(rows)
    temporary = path.with_name(path.name + ".part")
    with temporary.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    temporary.replace(path)
    return len(rows)
