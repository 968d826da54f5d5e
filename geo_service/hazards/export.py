"""Hazard lists rendered for download: CSV for Excel and GeoJSON for GIS."""

from __future__ import annotations

import csv
import io
from typing import Any

from shapely.geometry import shape

from geo_service.hazards.messages import say
from geo_service.i18n import label

CSV_COLUMNS = ("id", "category", "severity", "status", "level", "grid", "assignee",
               "description", "reported_at", "due_at", "updated_at", "overdue", "lon", "lat",
               "geometry")
# A cell starting with one of these is a formula to a spreadsheet: keep it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PRIVATE = ("reporter_name", "reporter_contact", "photo", "channel")


def cell(value: Any) -> Any:
    """A CSV cell; text that a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_row(item: dict[str, Any], lang: str) -> list[Any]:
    """One hazard as a CSV row, vocabulary values by their label in ``lang``."""
    values = {
        "id": item["id"],
        "category": label(item["category"], lang),
        "severity": label(item["severity"], lang),
        "status": label(item["status"], lang),
        "level": label(item["level"], lang),
        "grid": item["grid_number"],
        "assignee": item["assignee"],
        "description": item["description"],
        "reported_at": item["reported_at"],
        "due_at": item["due_at"],
        "updated_at": item["updated_at"],
        "overdue": say("hz.yes" if item["overdue"] else "hz.no", lang),
        "lon": round(item["lon"], 7),
        "lat": round(item["lat"], 7),
        "geometry": shape(item["geometry"]).wkt,
    }
    return [cell(values[c]) for c in CSV_COLUMNS]


def to_csv(items: list[dict[str, Any]], lang: str = "zh") -> bytes:
    """CSV with headers in ``lang``, UTF-8 with a byte-order mark."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([say(f"hz.col.{c}", lang) for c in CSV_COLUMNS])
    writer.writerows(csv_row(item, lang) for item in items)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_geojson(items: list[dict[str, Any]]) -> dict[str, Any]:
    """A FeatureCollection; every property but the geometry and private fields."""
    features = []
    for item in items:
        properties = {k: v for k, v in item.items()
                      if k not in ("geometry", "events", *PRIVATE)}
        features.append({"type": "Feature", "id": item["id"], "geometry": item["geometry"],
                         "properties": properties})
    return {"type": "FeatureCollection", "numberMatched": len(features),
            "features": features}
