"""Protocols over LFW and the benchmarks: View 1 pairs, the person protocol, `faceverify bench`.
Used only by the faces of the app (CLI, GUI, API). May import every core package."""
