"""Open a vector file with pyogrio: pick its format and layer, decode its text, find its CRS.

What comes back is the file as it is (its own column names, its own CRS); nothing is validated.
OpenStreetMap files are read by ``osm.py``.
"""

from __future__ import annotations

import codecs
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from .problems import SourceError
from .schema import GEOMETRY, normalise

FORMATS: dict[str, str] = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".shp": "Shapefile",
    ".zip": "zipped file",
    ".gpx": "GPX",
    ".csv": "CSV",
    ".osm": "OSM",
    ".pbf": "OSM",
}
LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")
#: Column names that can only mean degrees: such a CSV needs no --crs (x and y may be metres).
WGS84_CRS = pyproj.CRS.from_epsg(4326)
DEGREE_NAMES = frozenset({"lon", "lng", "long", "longitude", "经度", "lat", "latitude", "纬度"})
DEGREES_NOTE = ("lon/lat columns read as WGS-84 degrees (EPSG:4326); for coordinates taken "
                "from a Chinese web map declare --crs gcj02")
ENCODING_HINT = "declare it with --encoding, e.g. --encoding GBK"


@dataclass
class RawSource:
    """A file's features as read: index = position in the file, columns as the file names them."""

    frame: gpd.GeoDataFrame
    crs: pyproj.CRS | None
    file: str
    format: str
    notes: list[str] = field(default_factory=list)  # file-level warnings
    geometry_reasons: dict[int, str] = field(default_factory=dict)  # why a geometry is missing
    crs_note: str | None = None  # how ``crs`` was inferred, when the file does not say it


def format_of(path: str | Path) -> str:
    """The format name for a file's extension; SourceError when missing or unknown."""
    path = Path(path)
    if not path.exists():
        raise SourceError(path.name, f"file not found: {path}")
    if _is_empty(path):
        raise SourceError(path.name, "the file is empty: there is nothing to load; check that "
                                     "it was exported or copied completely")
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(FORMATS)
        raise SourceError(path.name, f"unknown format '{suffix or path.name}' (known: {known})")
    return FORMATS[suffix]


def _is_empty(path: Path) -> bool:
    """A file of no bytes, or of white space only."""
    if not path.is_file():
        return False
    size = path.stat().st_size
    if size == 0:
        return True
    if size > 4096:
        return False
    return not path.read_bytes().strip()


def open_source(path: str | Path, layer: str, *, encoding: str | None = None,
                source_layer: str | None = None) -> RawSource:
    """Read the features of ``path`` meant for ``layer`` (one of ``LAYERS``)."""
    path = Path(path)
    file = path.name
    kind = format_of(path)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise SourceError(file, f"unknown encoding '{encoding}'") from None
    notes: list[str] = []
    if kind == "Shapefile" and encoding is None:
        encoding = _guess_shapefile_encoding(path)
        if encoding is not None:
            notes.append(f"no .cpg file; text read as {encoding} (guessed); {ENCODING_HINT}")
    if kind == "CSV":
        return _open_csv(path, encoding, notes)
    names = _choose_layers(path, kind, layer, source_layer)
    frames = [_read(path, file, notes, layer=name, encoding=encoding) for name in names]
    if not all(isinstance(f, gpd.GeoDataFrame) for f in frames):
        raise SourceError(file, f"layer {', '.join(names)} has no geometry")
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    frame = gpd.GeoDataFrame(frame.reset_index(drop=True), geometry="geometry",
                             crs=frames[0].crs)
    return RawSource(frame, frame.crs, file, kind, notes)


def read_noting_warnings(notes: list[str], path: Path, **options: object
                         ) -> gpd.GeoDataFrame | pd.DataFrame:
    """``pyogrio.read_dataframe`` with what GDAL or pyogrio warned about added to ``notes``
    (so it reaches the load report instead of stderr)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # mixed-type GeoJSON properties stay text; that is what we want, not worth a note
        warnings.filterwarnings("ignore", message="Could not parse column")
        frame = pyogrio.read_dataframe(path, force_2d=True, on_invalid="fix", **options)
    for warning in caught:
        note = f"the file reader warned: {str(warning.message).strip()}"
        if note not in notes:
            notes.append(note)
    return frame


def _read(path: Path, file: str, notes: list[str], **options: object
          ) -> gpd.GeoDataFrame | pd.DataFrame:
    try:
        return read_noting_warnings(notes, path, **options)
    except UnicodeDecodeError as error:
        used = options.get("encoding") or "the file's declared encoding"
        raise SourceError(file, f"text cannot be decoded as {used} ({error.reason}); "
                                f"{ENCODING_HINT}") from None
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise SourceError(file, f"cannot read the file: {error}") from None


def _choose_layers(path: Path, kind: str, layer: str, source_layer: str | None) -> list[str]:
    """The file's layer(s) holding ``layer``: as asked, the only one, or the one so named."""
    try:
        available = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except (pyogrio.errors.DataSourceError, UnicodeDecodeError) as error:
        raise SourceError(path.name, f"cannot read the file: {error}") from None
    if source_layer is not None:
        if source_layer not in available:
            raise SourceError(path.name, f"no layer '{source_layer}' in the file "
                                         f"(layers: {', '.join(available)})")
        return [source_layer]
    if kind == "GPX":
        return _gpx_layers(path.name, layer, available)
    if len(available) == 1:
        return available
    named = [name for name in available if normalise(name) == layer]
    if named:
        return named[:1]
    raise SourceError(path.name, f"the file has several layers ({', '.join(available)}); "
                                 f"choose one with --source-layer")


def _gpx_layers(file: str, layer: str, available: list[str]) -> list[str]:
    """Waypoints for point layers, tracks and routes for streets; GPX has no polygons."""
    wanted = {"point": ["waypoints"], "any": ["waypoints"],
              "line": ["tracks", "routes"]}.get(GEOMETRY[layer])
    if wanted is None:
        raise SourceError(file, f"a GPX file holds points and tracks, not {layer} polygons")
    names = [name for name in wanted if name in available]
    if not names:
        raise SourceError(file, f"the GPX file has no {' or '.join(wanted)}")
    return names


def _open_csv(path: Path, encoding: str | None, notes: list[str]) -> RawSource:
    """A CSV's rows with points from its lon/lat columns (or GDAL's WKT column).

    Columns named as degrees (lon/longitude/经度 and lat/latitude/纬度) holding values within
    the degree ranges are WGS-84; with x/y or a WKT column the CRS must be declared.
    """
    table = _read(path, path.name, notes, encoding=encoding)
    geometry = table.geometry.values if isinstance(table, gpd.GeoDataFrame) else None
    attributes = pd.DataFrame(table.drop(columns="geometry", errors="ignore"))
    reasons: dict[int, str] = {}
    if geometry is None:
        by_name = {normalise(column): column for column in attributes.columns}
        lon_column = next((by_name[n] for n in LON_NAMES if n in by_name), None)
        lat_column = next((by_name[n] for n in LAT_NAMES if n in by_name), None)
        if lon_column is None or lat_column is None:
            raise SourceError(path.name, "a CSV needs lon/lat columns (lon/lng/longitude/x/经度 "
                                         "and lat/latitude/y/纬度) or a WKT column")
        lon = pd.to_numeric(attributes[lon_column], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(attributes[lat_column], errors="coerce").to_numpy(dtype=float)
        geometry = shapely.points(lon, lat)
        for position in (pd.isna(lon) | pd.isna(lat)).nonzero()[0]:
            row = attributes.iloc[position]
            geometry[position] = None
            reasons[int(position)] = (f"lon/lat missing or not numbers ({lon_column}="
                                      f"{row[lon_column]!r}, {lat_column}={row[lat_column]!r})")
        attributes = attributes.drop(columns=[lon_column, lat_column])
        if _degrees(lon_column, lat_column, lon, lat):
            frame = gpd.GeoDataFrame(attributes.reset_index(drop=True), geometry=list(geometry))
            return RawSource(frame, WGS84_CRS, path.name, "CSV", notes, reasons,
                             crs_note=DEGREES_NOTE)
    frame = gpd.GeoDataFrame(attributes.reset_index(drop=True), geometry=list(geometry))
    return RawSource(frame, None, path.name, "CSV", notes, reasons)


def _degrees(lon_column: str, lat_column: str, lon: np.ndarray, lat: np.ndarray) -> bool:
    """Whether both columns are named as degrees and every number fits a longitude and a
    latitude (a swapped file still passes here and is caught by the extent check)."""
    if {normalise(lon_column), normalise(lat_column)} - DEGREE_NAMES:
        return False
    known = ~(np.isnan(lon) | np.isnan(lat))
    return bool(known.any() and (np.abs(lon[known]) <= 180).all()
                and (np.abs(lat[known]) <= 180).all())


def _guess_shapefile_encoding(path: Path) -> str | None:
    """For a .shp with no .cpg and no code page in its .dbf: UTF-8 or GB18030 if text needs it.

    GDAL would read such a file as ISO-8859-1, which turns Chinese text into mojibake.
    """
    siblings = {p.name.lower(): p for p in path.parent.glob(path.stem + ".*")}
    dbf = siblings.get(path.stem.lower() + ".dbf")
    if path.stem.lower() + ".cpg" in siblings or dbf is None:
        return None
    data = dbf.read_bytes()
    if len(data) < 32 or data[29] != 0:  # byte 29: the language driver (code page) id
        return None
    header_length = int.from_bytes(data[8:10], "little")
    descriptors = data[32:header_length - 1]
    names = b"".join(descriptors[i:i + 11].split(b"\0")[0] for i in range(0, len(descriptors), 32))
    text = names + data[header_length:]
    if max(text, default=0) < 0x80:
        return None
    for candidate in ("UTF-8", "GB18030"):
        try:
            text.decode(candidate)
        except UnicodeDecodeError:
            continue
        return candidate
    return None
