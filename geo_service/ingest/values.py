"""Turn attribute values into the canonical types; reject what cannot be read or is out of range.

Numbers may carry a unit (``3 m``, ``6层``); vocabulary values may be given as their stored
value, their Chinese label (``vocab.LABELS_ZH``) or a listed synonym; dates as ISO text or
``2024年5月1日``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from .problems import Reporter
from .schema import FIELDS, Field, normalise, vocabulary_words

_NUMBER = re.compile(
    r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?:m|米|metres?|meters?|cd|w|mm|°|deg|度|层|户)?\s*$",
    re.IGNORECASE)
_DAY = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(.*)$")


def is_blank(value: Any) -> bool:
    """None, NaN, NaT, pandas NA or whitespace-only text."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict | tuple | np.ndarray):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def as_text(value: Any) -> str:
    """Text of a value; whole floats (phone numbers read as numbers) lose their ``.0``."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def as_number(value: Any) -> float:
    """A finite number from a number or text with an optional unit."""
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"value {value!r} is not a number")
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
    else:
        match = _NUMBER.match(str(value))
        if match is None:
            raise ValueError(f"value {as_text(value)!r} is not a number")
        number = float(match.group(1))
    if not math.isfinite(number):
        raise ValueError(f"value {value!r} is not a finite number")
    return number


def as_date(value: Any) -> date:
    """A calendar date from a date, a timestamp or text such as 2024-05-01 or 2024年5月1日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return as_datetime(value, what="a date (e.g. 2024-05-01)").date()


def as_datetime(value: Any, what: str = "a date and time (e.g. 2024-05-01 09:30)") -> datetime:
    """A datetime (keeping any UTC offset it states) from a timestamp or ISO-like text."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = str(value).strip()
    match = _DAY.match(text)
    if match:
        year, month, day, rest = match.groups()
        text = f"{year}-{int(month):02d}-{int(day):02d}{rest}"
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"value {str(value)!r} is not {what}") from None


def as_history(value: Any) -> list[dict[str, Any]]:
    """A hazard's history: a list of event objects, given as such or as JSON text."""
    events = value
    if isinstance(value, str):
        try:
            events = json.loads(value)
        except json.JSONDecodeError as error:
            raise ValueError(f"value is not valid JSON ({error.msg})") from None
    if isinstance(events, np.ndarray | tuple):
        events = list(events)
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise ValueError("value is not a list of event objects")
    return events


def _checked_number(spec: Field) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        number = as_number(value)
        low, high = spec.minimum, spec.maximum
        if low is not None and number < low and high is None:
            raise ValueError(f"value {number:g} is negative" if low == 0 else
                             f"value {number:g} is less than {low:g}")
        if (low is not None and number < low) or (high is not None and number > high):
            raise ValueError(f"value {number:g} is outside {low or 0:g}-{high:g}")
        if spec.above_minimum and number == low:
            raise ValueError(f"value {number:g} must be more than {low:g}")
        if spec.kind == "int" and not number.is_integer():
            raise ValueError(f"value {number:g} is not a whole number")
        return number

    return parse


def _vocabulary(spec: Field) -> Callable[[Any], str]:
    assert spec.vocabulary is not None
    words = vocabulary_words(spec.vocabulary)
    allowed = ", ".join(member.value for member in spec.vocabulary)

    def parse(value: Any) -> str:
        key = normalise(as_text(value))
        if key in words:
            return words[key]
        raise ValueError(f"value {as_text(value)!r} is not one of {allowed}")

    return parse


def parser_for(spec: Field) -> Callable[[Any], Any]:
    """The function turning one non-blank value of ``spec`` into its canonical type."""
    if spec.kind in ("int", "float"):
        return _checked_number(spec)
    if spec.kind == "enum":
        return _vocabulary(spec)
    return {"date": as_date, "datetime": as_datetime, "history": as_history}.get(
        spec.kind, as_text)


def _column(values: list[Any], spec: Field, index: pd.Index) -> pd.Series:
    if spec.kind == "int":
        return pd.Series(pd.array([None if v is None else int(v) for v in values],
                                  dtype="Int64"), index=index)
    if spec.kind == "float":
        return pd.Series([np.nan if v is None else v for v in values], index=index,
                         dtype=float)
    return pd.Series(values, index=index, dtype=object)


def coerce(table: pd.DataFrame, layer: str, report: Reporter) -> pd.DataFrame:
    """Typed canonical columns for ``layer``; unreadable values are rejected through ``report``.

    Blank values take the field's default; a blank required value is rejected. Hazard history
    is always a list (empty when blank).
    """
    out = pd.DataFrame(index=table.index)
    for spec in FIELDS[layer]:
        parse = parser_for(spec)
        values: list[Any] = []
        for index, raw in table[spec.name].items():
            value = None
            if is_blank(raw):
                if spec.required:
                    report.reject(index, spec.name, "required value is missing")
                value = spec.default if spec.default is None else str(spec.default)
                if spec.kind == "history":
                    value = []
            else:
                try:
                    value = parse(raw)
                except ValueError as error:
                    report.reject(index, spec.name, str(error))
            values.append(value)
        out[spec.name] = _column(values, spec, table.index)
    return out
