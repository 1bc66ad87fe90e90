"""``python -m ncopt``: the engine's command line (see ``ncopt.cli``)."""

import sys

from ncopt.cli import main

if __name__ == "__main__":
    sys.exit(main())
