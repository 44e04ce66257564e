"""Open faceverify's window: ``python main.py [--camera SOURCE] [--home DIR]``."""
from faceverify.gui.app import main

if __name__ == "__main__":
    raise SystemExit(main())
