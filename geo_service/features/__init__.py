"""The map's feature collections: what each one publishes, how it is read and encoded.

``catalog`` defines the collections and their public fields, ``store`` holds every SQL read,
``geojson`` turns rows and frames into GeoJSON features, ``service`` answers a request (a page
of items, one item, a description) and provides the computed collections (gaps, routes).
:mod:`geo_service.web.collections` is the HTTP adapter over ``service``.
"""
