"""`python -m faceverify`: the command line."""
import sys

from faceverify.cli.commands import main

sys.exit(main())
