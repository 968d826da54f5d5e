"""Settings read from the environment, in one place.

Every setting has a default that runs the embedded service on the sample community.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Runtime configuration of the service.

    Attributes
    ----------
    database_url:
        SQLAlchemy URL of an existing PostGIS database; ``None`` means the embedded cluster.
    data_dir:
        Folder for the embedded cluster and uploaded files (git-ignored).
    sample_dir:
        Folder holding ``grids.geojson`` and ``sample/``.
    metric_crs:
        Projected CRS for metric work on the sample (CGCS2000 / 3-degree GK CM 108E).
    """

    database_url: str | None = None
    data_dir: Path = PROJECT_ROOT / "var"
    sample_dir: Path = PROJECT_ROOT / "data"
    metric_crs: str = "EPSG:4545"
    community_name: str = "白龙社区"
    basemap: str = "osm"
    tianditu_key: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def load_settings() -> Settings:
    """Read settings from ``GEO_SERVICE_*`` and ``DATABASE_URL`` environment variables."""
    env = os.environ
    return Settings(
        database_url=env.get("DATABASE_URL") or None,
        data_dir=Path(env.get("GEO_SERVICE_DATA_DIR", PROJECT_ROOT / "var")),
        sample_dir=Path(env.get("GEO_SERVICE_SAMPLE_DIR", PROJECT_ROOT / "data")),
        metric_crs=env.get("GEO_SERVICE_METRIC_CRS", "EPSG:4545"),
        community_name=env.get("GEO_SERVICE_COMMUNITY", "白龙社区"),
        basemap=env.get("GEO_SERVICE_BASEMAP", "osm"),
        tianditu_key=env.get("GEO_SERVICE_TIANDITU_KEY") or None,
    )
