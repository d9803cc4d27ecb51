"""``python -m apidouble`` is the ``apidouble`` command."""

import sys

from .cli import main

sys.exit(main())
