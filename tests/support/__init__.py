"""Helpers shared by the tests, bench/ and scripts/: snapshot stores (``stores``), a Dash
callback client (``dash_client``) and a dashboard served on loopback (``servers``).

Importable as ``support`` (pytest puts tests/ on sys.path, as it has no ``__init__.py``; bench/
and scripts/ add it themselves). Fixtures built on these live in tests/conftest.py.
"""
