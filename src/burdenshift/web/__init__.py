"""The analyst's web page and the JSON API behind it (FastAPI; local by default)."""
