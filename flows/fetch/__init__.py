"""Fetching: HTTP with politeness, robots.txt, address guard; feeds and sitemaps."""
