"""Find each canonical column among a file's own column names (English or Chinese aliases)."""

from __future__ import annotations

import pandas as pd

from .problems import SourceError
from .schema import FIELDS, normalise
from .values import is_blank


def match_columns(columns: list[str], layer: str) -> dict[str, list[str]]:
    """Map canonical field name -> the file's columns holding it, most preferred first.

    Names are compared case- and separator-insensitively, in the order canonical name, then
    aliases; each file column serves one field at most (the first field listing it).
    """
    by_name: dict[str, list[str]] = {}
    for column in columns:
        by_name.setdefault(normalise(column), []).append(column)
    taken: set[str] = set()
    found: dict[str, list[str]] = {}
    for spec in FIELDS[layer]:
        for name in (spec.name, *spec.aliases):
            for column in by_name.get(normalise(name), []):
                if column not in taken:
                    found.setdefault(spec.name, []).append(column)
                    taken.add(column)
    return found


def canonical_columns(table: pd.DataFrame, layer: str, file: str) -> pd.DataFrame:
    """The layer's fields from ``table`` under canonical names (absent optional ones null).

    When several columns hold one field (``name`` and ``名称``), a feature takes the first of
    them that is not blank. Raises SourceError when a required field has no column.
    """
    found = match_columns([str(c) for c in table.columns if c != "geometry"], layer)
    out = pd.DataFrame(index=table.index)
    for spec in FIELDS[layer]:
        if spec.name in found:
            columns = [table[c].astype(object) for c in found[spec.name]]
            merged = columns[0]
            for column in columns[1:]:
                merged = merged.where(~merged.map(is_blank), column)
            out[spec.name] = merged
        elif spec.required:
            names = ", ".join((spec.name, *spec.aliases))
            raise SourceError(file, f"required field is missing (looked for a column named "
                                    f"{names})", field=spec.name)
        else:
            out[spec.name] = pd.Series([None] * len(table), index=table.index, dtype=object)
    return out
