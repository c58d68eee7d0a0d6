"""`python -m flows` is the `agencywatch` command."""

from flows.cli.main import main

raise SystemExit(main())
