"""HTML in, records out: no network, no database."""

# Recorded with every item version; bump it when extraction output changes on purpose, so
# `agencywatch reprocess` can tell extractor-caused changes from site changes.
__version__ = "0.1.0"
