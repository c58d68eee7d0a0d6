"""Benchmark harness (issue 6): agencywatch against a hand-written Scrapy spider and the floors.

`python -m bench.run` generates a synthetic agency site, serves it with nginx on 127.0.0.1,
crawls it with Scrapy and with agencywatch (first, unchanged and 1%-changed re-crawls), measures
the floors (lxml parse, requests on loopback) and extraction alone, and prints one table.
"""
