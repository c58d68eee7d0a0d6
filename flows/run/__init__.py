"""The crawl run: the scheduler, one page's fetch -> extract -> record, the run loop
(pre-flight, writer), the extraction processes, reprocess."""
