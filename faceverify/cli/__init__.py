"""The `faceverify` command line: a thin face over the core (commands, parser, terminal display)."""
