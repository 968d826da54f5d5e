"""Mapbox vector tiles of the map layers, built in PostGIS (``ST_AsMVT``).

:mod:`.fields` picks what a layer's tile carries (the public fields its declaration uses),
:mod:`.mvt` builds one tile, :mod:`.version` says when the data behind the tiles changed (the
ETag). The HTTP adapter is :mod:`geo_service.web.tiles`.
"""
