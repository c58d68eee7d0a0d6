"""Scoring the extractors: the fixtures and the third-party sets in ../shared/testdata
(`make eval`, `python -m evaluation`). File I/O lives here, not in the pure `extractors/`."""
