"""Build a demo data folder from LFW: one enrolled person, other LFW people as negatives, a trained model.

    python benchmarks/demo_home.py HOME [--person Colin_Powell] [--images 40] [--negatives 150] [--epochs 3]

Used for the README's screenshots and by gui_responsiveness.py (which needs a model for live mode).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from faceverify.enrollment.enroll import enroll, import_lfw
from faceverify.home.store import Store
from faceverify.model import shipped

LFW = Path(__file__).resolve().parents[2] / "shared" / "data" / "lfw"


def build(home: Path, person: str = "Colin_Powell", images: int = 40, negatives: int = 150, epochs: int = 3,
          steps_per_epoch: int | None = None, lfw: Path = LFW) -> Store:
    """Enroll ``images`` LFW images of ``person``, import ``negatives`` other LFW people, train; returns the store."""
    from faceverify.training.trainer import Trainer, TrainingConfig

    store = Store(home).ensure()
    enroll(store, person, sorted((lfw / person).glob("*.jpg"))[:images])
    others = sorted(p.name for p in lfw.iterdir() if p.is_dir() and p.name != person)[:negatives]
    import_lfw(store, lfw, people=set(others))
    config = TrainingConfig(epochs=epochs, steps_per_epoch=steps_per_epoch, from_scratch=not shipped.available())
    Trainer(store, config).run()
    return store


def model_home(home: Path | None, prefix: str) -> tuple[Path, tempfile.TemporaryDirectory | None]:
    """``home`` if somebody is enrolled in it (it decides with its own model, else with the shipped one); else a
    temporary home with a tiny model trained in it, and its handle (keep it: the folder is removed when it goes)."""
    if home is not None and Store(home).names() and (Store(home).has_own_model() or shipped.available()):
        return home, None
    scratch = tempfile.TemporaryDirectory(prefix=prefix)
    print(f"Training a tiny model in {scratch.name} ...", flush=True)
    build(Path(scratch.name), images=10, negatives=12, epochs=1, steps_per_epoch=5)
    return Path(scratch.name), scratch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--person", default="Colin_Powell")
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--negatives", type=int, default=150, help="how many LFW people to import as negatives")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    started = time.monotonic()
    store = build(args.home, args.person, args.images, args.negatives, args.epochs)
    print(f"{store.root}: {args.person} enrolled, {store.negative_count()} negatives, model trained "
          f"in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
