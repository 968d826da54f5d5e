"""Hazards and their closed loop: the state machine, the service functions, photos.

``lifecycle`` holds the rules as data, ``inputs`` turns untrusted request data into typed
requests, ``service`` reads and writes PostGIS (functions taking a ``Connection``; nothing in
this package commits), ``export`` renders CSV and GeoJSON, ``photos`` checks and stores uploads.
"""
