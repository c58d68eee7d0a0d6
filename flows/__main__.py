"""`python -m flows` is the `agencywatch` command."""

from flows.cli import main

raise SystemExit(main())
