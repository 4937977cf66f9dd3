"""Keeping runs: an embedded DuckDB file. `database.py` is the only module that imports duckdb."""
