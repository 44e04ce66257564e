"""The `faceverify` command line: a thin face over the core, like the GUI.

Errors a user can cause print one line on stderr and exit with status 2; nothing else changes.
"""
from __future__ import annotations

import argparse
import json
import math
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .errors import FaceverifyError
from .live_challenge import PROMPT_RANGE, SECONDS_RANGE
from .rule import calibration_text
from .store import Store, validate_name

EXIT_OK, EXIT_NOT_VERIFIED, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, like every other error (subcommand parsers inherit this)."""

    def error(self, message: str):
        self.exit(EXIT_ERROR, f"{self.prog}: {message} (see --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _positive_float(text: str) -> float:
    value = _float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def _in_range(kind: type, low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = _float(text) if kind is float else _positive_int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}, not {text}")
        return value

    return parse


def _threshold(text: str) -> float:
    value = _float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a threshold lies between 0 and 1, not {text}")
    return value


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _Parser(prog="faceverify", description="Verify faces with a Siamese network.")
    parser.add_argument("--version", action="version", version=f"faceverify {__version__}")
    parser.add_argument("--home", type=Path, help="data folder (default: $FACEVERIFY_HOME or the per-user data folder)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    enroll = commands.add_parser("enroll", help="add face images of a person")
    enroll.add_argument("name")
    enroll.add_argument("--from", dest="paths", type=Path, nargs="+", required=True, metavar="PATH",
                        help="image files or folders")
    enroll.add_argument("--role", choices=("anchor", "positive"), help="default: alternate anchor and positive")

    lfw = commands.add_parser("import-lfw", help="import LFW (lfw.tgz or the lfw/ folder) as negatives")
    lfw.add_argument("path", type=Path)
    lfw.add_argument("--people", type=Path, metavar="FILE",
                     help="import only the people listed in this file (e.g. peopleDevTrain.txt)")

    people = commands.add_parser("people", help="list enrolled people, or remove one")
    people_commands = people.add_subparsers(dest="people_command", metavar="ACTION")
    remove = people_commands.add_parser("remove", help="delete a person's images, embeddings and logged crops")
    remove.add_argument("name")

    train = commands.add_parser("train", help="train the Siamese model on the enrolled people and negatives")
    train.add_argument("--epochs", type=_positive_int, default=50)
    train.add_argument("--batch-size", type=_positive_int, default=32,
                       help="images per step; every pair among them is a training example")
    train.add_argument("--learning-rate", type=_positive_float, default=1e-4)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--minutes", type=_positive_float, default=None,
                       help="time budget: stop after the epoch it runs out in (--epochs is then a maximum); "
                            "the learning rate decays over it")
    train.add_argument("--steps-per-epoch", type=_positive_int,
                       help="steps of each epoch (default: each enrolled image about once, at least 2)")
    train.add_argument("--lfw-identities", action="store_true",
                       help="also train on LFW people with 2+ images (a generic, one-shot model)")
    start = train.add_mutually_exclusive_group()
    start.add_argument("--fine-tune", action="store_true",
                       help="start from this home's current model (default: from the shipped generic model)")
    start.add_argument("--from-scratch", action="store_true", help="start from random weights")
    train.add_argument("--no-augment", dest="augment", action="store_false")
    train.add_argument("--no-match-camera", dest="match_camera", action="store_false",
                       help="do not give negatives the enrolled camera's look (for comparison only)")
    train.add_argument("--strategy", choices=("default", "mirrored", "multiworker"), default="default")
    train.add_argument("--resume", action="store_true", help="continue an interrupted training")

    evaluate = commands.add_parser("evaluate", help="accuracy, ROC AUC and EER on the validation split or LFW pairs")
    evaluate.add_argument("--pairs", type=Path, help="an LFW pairs file (pairsDevTest.txt, pairs.txt)")
    evaluate.add_argument("--lfw", type=Path, help="the lfw/ folder the pairs refer to")
    evaluate.add_argument("--threshold", type=_threshold,
                          help="detection threshold for accuracy, FAR and FRR (default: the one in force: "
                          "yours, else the model's calibrated one)")
    evaluate.add_argument("--person-protocol", action="store_true",
                          help="enroll, train and verify LFW people in temporary homes (needs --lfw)")
    evaluate.add_argument("--people", type=Path, help="people file of the protocol (default: peopleDevTrain.txt "
                          "beside the lfw/ folder)")
    evaluate.add_argument("--persons", type=_positive_int, default=3, help="people enrolled one after another")
    evaluate.add_argument("--camera-look", action="store_true",
                          help="show the enrolled person and every probe through one simulated camera")
    evaluate.add_argument("--no-match-camera", dest="match_camera", action="store_false",
                          help="train without giving negatives the enrolled camera's look")
    evaluate.add_argument("--work", type=Path, help="keep the protocol's imported negatives here for reruns")
    evaluate.add_argument("--pretrained", type=Path,
                          help="fine-tune each first model from this generic model (trained on the negatives' people; "
                          "default: the shipped one)")
    protocol_start = evaluate.add_mutually_exclusive_group()
    protocol_start.add_argument("--one-shot", action="store_true",
                                help="person protocol without training: enroll, then verify with the shipped model")
    protocol_start.add_argument("--from-scratch", action="store_true",
                                help="person protocol: train each first model from random weights")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON on stdout")

    for name, help_text in (("verify", "is this person who they claim to be?"), ("identify", "who is this?")):
        command = commands.add_parser(name, help=help_text)
        if name == "verify":
            command.add_argument("name")
        command.add_argument("images", type=Path, nargs="+", metavar="IMAGE")
        command.add_argument("--detection-threshold", type=_threshold)
        command.add_argument("--verification-threshold", type=_threshold)
        command.add_argument("--json", action="store_true", help="print the results as JSON")

    log = commands.add_parser("log", help="recent verifications and identifications")
    log.add_argument("--limit", type=_positive_int, default=20)
    log.add_argument("--json", action="store_true")

    liveness = commands.add_parser("liveness", help="show or change the liveness check of camera verifications")
    switch = liveness.add_mutually_exclusive_group()
    switch.add_argument("--on", dest="enabled", action="store_true", default=None, help="check (the default)")
    switch.add_argument("--off", dest="enabled", action="store_false", help="do not check: a photo can pass")
    liveness.add_argument("--prompts", type=_in_range(int, *PROMPT_RANGE), help="head turns asked for")
    liveness.add_argument("--seconds", type=_in_range(float, *SECONDS_RANGE), help="time allowed for each")

    commands.add_parser("bench", help="measure verification speed on this machine")
    gui = commands.add_parser("gui", help="start the desktop app")
    gui.add_argument("--camera", help="device index, video file or stream URL")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = build_parser().parse_args(argv)
    store = Store(args.home)
    try:
        return COMMANDS[args.command](store, args)
    except FaceverifyError as exc:
        print(f"faceverify: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # permission denied, disk full, ...
        where = f": {exc.filename}" if exc.filename else ""
        print(f"faceverify: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_ERROR
    except sqlite3.Error as exc:
        print(f"faceverify: the audit log cannot be written ({exc})", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("faceverify: interrupted", file=sys.stderr)
        return EXIT_ERROR


# -- commands --------------------------------------------------------------------------------------------
def _enroll(store: Store, args: argparse.Namespace) -> int:
    from .enrollment import enroll

    result = enroll(store, args.name, args.paths, args.role)
    print(f"{args.name}: added {result.added['anchor']} anchor and {result.added['positive']} positive images")
    if result.without_face:
        print(f"  {result.without_face} had no detectable face: their centre was used")
    if result.skipped:
        print(f"  skipped {len(result.skipped)} unreadable files, e.g. {result.skipped[0]}")
    return EXIT_OK


def _import_lfw(store: Store, args: argparse.Namespace) -> int:
    from .enrollment import import_lfw
    from .lfw import read_people_file

    people = {name for name, _ in read_people_file(args.people)} if args.people else None
    with ProgressBar("importing") as bar:
        result = import_lfw(store.ensure(), args.path, people, on_progress=bar.update)
    print(f"imported {result.added} negatives ({result.already_there} already there, "
          f"{result.unreadable} unreadable skipped, {result.without_face} without a detected face)")
    return EXIT_OK


def _people(store: Store, args: argparse.Namespace) -> int:
    if args.people_command == "remove":
        from .audit import AuditLog

        name = validate_name(args.name)
        store.require_person(name)
        if store.audit_path.exists():  # the log first: a person whose images are gone could not be named again
            with AuditLog(store.audit_path) as log:
                log.remove_person(name)
        store.remove_person(name)
        print(f"removed {name}: images, cached embeddings and logged attempts")
        return EXIT_OK
    people = store.people()
    for person in people:
        print(f"{person.name}\t{person.anchors} anchors\t{person.positives} positives")
    if not people:
        print("nobody enrolled yet: faceverify enroll NAME --from PATH")
    print(f"{store.negative_count()} negative images", file=sys.stderr)
    return EXIT_OK


def _train(store: Store, args: argparse.Namespace) -> int:
    from .training import Trainer, TrainingConfig

    def show(progress) -> None:
        last = progress.last_epoch
        figures = f" val P {last.val_precision:.2f} R {last.val_recall:.2f}" if last else ""
        if progress.validating:
            figures += " (validating)"
        bar.update(progress.step, progress.steps,
                   f"epoch {progress.epoch}/{progress.epochs} loss {progress.loss:.3f}{figures}",
                   eta=progress.remaining)

    with ProgressBar("training") as bar:
        if args.resume:
            trainer = Trainer.resume(store, on_progress=show)
            print(f"resuming after epoch {trainer.epochs_done()} of {trainer.config.epochs}", file=sys.stderr)
        else:
            config = TrainingConfig(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                                    seed=args.seed, lfw_identities=args.lfw_identities,
                                    steps_per_epoch=args.steps_per_epoch, fine_tune=args.fine_tune,
                                    from_scratch=args.from_scratch,
                                    augment=args.augment, match_camera=args.match_camera, strategy=args.strategy,
                                    minutes=args.minutes)
            trainer = Trainer(store.ensure(), config, on_progress=show)
        result = trainer.run()
    final = result.history[-1]
    print(f"trained {len(result.history)} epochs at {result.pairs_per_second:.1f} pairs/s: "
          f"val loss {final.val_loss:.3f}, precision {final.val_precision:.3f}, recall {final.val_recall:.3f}, "
          f"accuracy {final.val_accuracy:.3f}; model saved to {store.model_path}"
          f"{calibration_text(result.calibration)}")
    return EXIT_OK


def _evaluate(store: Store, args: argparse.Namespace) -> int:
    from .evaluation import save_report
    from .protocols import evaluate_lfw_pairs, evaluate_validation

    threshold = args.threshold if args.threshold is not None else store.threshold("detection_threshold")
    if args.person_protocol:
        report, scores, labels, name = _person_protocol(args)
    elif args.pairs or args.lfw:
        if not (args.pairs and args.lfw):
            raise FaceverifyError("--pairs and --lfw go together: the pairs file and the lfw/ folder it refers to")
        report, scores, labels = evaluate_lfw_pairs(store, args.pairs, args.lfw, threshold)
        name = f"lfw_{args.pairs.stem}"
    else:
        report, scores, labels = evaluate_validation(store, threshold)
        name = "validation"
    json_path, png_path = save_report(report, scores, labels, store.results_dir, name)
    if args.json:
        print(json.dumps(report | {"report": str(json_path), "roc_curve": str(png_path)}, indent=2))
        return EXIT_OK
    for key, value in report.items():
        if not isinstance(value, (list, dict)):
            print(f"{key:>22}: {value:.4f}" if isinstance(value, float) else f"{key:>22}: {value}")
    print(f"report: {json_path}\nROC curve: {png_path}")
    return EXIT_OK


def _person_protocol(args: argparse.Namespace) -> tuple:
    from .look import CameraLook
    from .person_protocol import PersonProtocol
    from .training import TrainingConfig

    if not args.lfw:
        raise FaceverifyError("--person-protocol needs --lfw: the lfw/ folder of one folder per person")
    people = args.people or args.lfw.parent / "peopleDevTrain.txt"
    if not people.is_file():
        raise FaceverifyError(f"No people file at {people}: give --people peopleDevTrain.txt")
    if args.pretrained and not args.pretrained.is_file():
        raise FaceverifyError(f"No model at {args.pretrained}")
    protocol = PersonProtocol(args.lfw, people, args.persons, camera=CameraLook() if args.camera_look else None,
                              training=TrainingConfig(match_camera=args.match_camera, from_scratch=args.from_scratch),
                              pretrained=args.pretrained, one_shot=args.one_shot)
    report, scores, labels = protocol.run(args.work, say=lambda text: print(text, file=sys.stderr, flush=True))
    name = ("person_protocol" + ("_one_shot" if args.one_shot else "_scratch" if args.from_scratch else "")
            + ("_camera" if args.camera_look else "") + ("" if args.match_camera else "_unmatched"))
    return report, scores, labels, name


def _verify(store: Store, args: argparse.Namespace) -> int:
    return _decide(store, args, identify=False)


def _identify(store: Store, args: argparse.Namespace) -> int:
    return _decide(store, args, identify=True)


def _decide(store: Store, args: argparse.Namespace, identify: bool) -> int:
    """verify/identify: prepare every image first (a bad one stops everything), then decide and log each."""
    person = None if identify else validate_name(args.name)
    if person is not None:
        store.require_person(person)
    from .decisions import DecisionService

    service = DecisionService(store, source="cli")
    thresholds = service.thresholds(args.detection_threshold, args.verification_threshold)
    outcomes = service.run_files(args.images, person, *thresholds)
    if args.json:
        print(json.dumps([o.to_json() for o in outcomes], indent=2))
    else:
        for outcome in outcomes:
            print(outcome.describe())
    return EXIT_OK if all(o.accepted for o in outcomes) else EXIT_NOT_VERIFIED


def _log(store: Store, args: argparse.Namespace) -> int:
    from .audit import AuditLog, to_json_dict

    entries = AuditLog(store.audit_path).recent(args.limit) if store.audit_path.exists() else []
    if args.json:
        print(json.dumps([to_json_dict(e) for e in entries], indent=2))
        return EXIT_OK
    for e in entries:
        result = "VERIFIED" if e.verified else "NOT VERIFIED"
        liveness = "" if e.liveness == "not checked" else f"  liveness {e.liveness}"
        liveness += f" ({e.liveness_reason})" if e.liveness == "failed" else ""
        print(f"{e.time}  {e.kind:<8} {e.person:<24} {result:<12} share {e.share:.2f}  mean {e.mean_score:.2f}"
              f"  [{e.source}: {e.image}]{liveness}")
    if not entries:
        print("no verifications logged yet")
    return EXIT_OK


def _liveness(store: Store, args: argparse.Namespace) -> int:
    from .live_challenge import LivenessSettings

    given = {"liveness": args.enabled, "liveness_prompts": args.prompts, "liveness_seconds": args.seconds}
    changes = {key: value for key, value in given.items() if value is not None}  # None would delete the setting
    if changes:
        store.ensure().save_settings(**changes)
    settings = LivenessSettings.from_settings(store.load_settings())
    if settings.enabled:
        print(f"liveness check: on for camera verifications, {settings.prompts} head turn(s), "
              f"{settings.seconds:g} s for each")
    else:
        print("liveness check: off (a photo held up to the camera can be verified)")
    return EXIT_OK


def _bench(store: Store, args: argparse.Namespace) -> int:
    from .bench import run_benchmark

    run_benchmark(print)
    return EXIT_OK


def _gui(store: Store, args: argparse.Namespace) -> int:
    from .gui.app import run

    return run(camera=args.camera, home=args.home)


COMMANDS: dict[str, Callable[[Store, argparse.Namespace], int]] = {
    "enroll": _enroll, "import-lfw": _import_lfw, "people": _people, "train": _train, "evaluate": _evaluate,
    "verify": _verify, "identify": _identify, "log": _log, "liveness": _liveness, "bench": _bench, "gui": _gui,
}


class ProgressBar:
    """A one-line progress bar with ETA on stderr: redrawn in place on a terminal, a line every few seconds in a log."""

    WIDTH = 28

    def __init__(self, label: str) -> None:
        self.label = label
        self.start = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.drawn = 0.0 if self.tty else self.start  # a log gets no line for work that takes under 5 s

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def update(self, done: int, total: int | None, text: str = "", eta: float | None = None) -> None:
        now = time.monotonic()
        if now - self.drawn < (0.2 if self.tty else 5.0) and done != total:
            return
        self.drawn = now
        if total:
            filled = round(self.WIDTH * done / total)
            if eta is None:
                eta = (now - self.start) * (total - done) / max(done, 1)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            line = f"{self.label} [{bar}] {done}/{total} {text} ETA {_duration(eta)}"
        else:
            line = f"{self.label} {done} {text} ({_duration(now - self.start)})"
        print(f"\r{line}\033[K" if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.tty and self.drawn:
            print(file=sys.stderr)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"
