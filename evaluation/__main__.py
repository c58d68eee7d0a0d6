"""`python -m evaluation` is `make eval`."""

import sys

from evaluation.evaluate import main

sys.exit(main())
