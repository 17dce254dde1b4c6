"""`python -m codegen_study ...` is the same as the `codegen-study` console script."""

import sys

from codegen_study.cli import main

sys.exit(main())
