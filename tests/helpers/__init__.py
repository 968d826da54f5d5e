"""Helpers the tests import as a package (``from helpers.accounts import make_user``).

Fixtures live in ``tests/conftest.py``; only plain functions and constants that module-scoped
fixtures or test bodies call directly live here. Never ``from conftest import``.
"""
