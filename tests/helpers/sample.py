"""Reading the sample community back in tests."""

from __future__ import annotations

import geopandas as gpd
import shapely
from sqlalchemy import text

from geo_service.db.engine import engine_for


def grid_area(url: str, numbers: tuple[int, ...]) -> shapely.Geometry:
    """Union of the grids with these numbers (EPSG:4326) in the database at ``url``."""
    with engine_for(url).connect() as conn:
        grids = gpd.read_postgis(text("SELECT geom FROM grids WHERE number = ANY(:n)"), conn,
                                 geom_col="geom", params={"n": list(numbers)})
    return shapely.union_all(grids.geometry.to_numpy())
