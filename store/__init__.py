"""The SQLite store: schema, writes, item history, change detection and reports."""
