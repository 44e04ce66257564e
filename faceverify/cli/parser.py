"""The `faceverify` command line's grammar: every subcommand, its options, and their checks (see :mod:`cli`)."""
from __future__ import annotations

import argparse
import math
from pathlib import Path

from faceverify import __version__
from faceverify.files.inputs import shown
from faceverify.liveness.live_challenge import PROMPT_RANGE, SECONDS_RANGE
from faceverify.training.config import TrainingConfig
from faceverify.verification.levels import LEVEL_NAMES, LEVELS
from faceverify.verification.live_verify import BURST_FRAMES

EXIT_OK, EXIT_NOT_VERIFIED, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, like every other error (subcommand parsers inherit this)."""

    def error(self, message: str):
        self.exit(EXIT_ERROR, f"{self.prog}: {message} (see --help)\n")


MAX_COUNT = 1_000_000  # the largest count any option takes (a limit, epochs, frames, ...)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{shown(repr(text))} is not a whole number") from None
    if not 1 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_COUNT:,}, not {shown(text)}")
    return value


def _home(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("the home folder cannot be empty (it would be the current folder)")
    return Path(text)


def _positive_float(text: str) -> float:
    value = _float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def _add_hard_negatives(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hard-negatives", type=_positive_float, default=TrainingConfig.hard_negatives,
                        metavar="SHARE", help="train on this share of each batch's negative pairs, hardest first "
                        f"(default: {TrainingConfig.hard_negatives:g})")


def _in_range(kind: type, low: float, high: float):
    """A parser of an int or float between ``low`` and ``high``."""
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
        raise argparse.ArgumentTypeError(f"{shown(repr(text))} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{shown(repr(text))} is not a finite number")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _Parser(prog="faceverify", description="Verify faces with a Siamese network.")
    parser.add_argument("--version", action="version", version=f"faceverify {__version__}")
    parser.add_argument("--home", type=_home,
                        help="data folder (default: $FACEVERIFY_HOME or the per-user data folder)")
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

    people = commands.add_parser("people", help="list enrolled people; remove, export or import one")
    people_commands = people.add_subparsers(dest="people_command", metavar="ACTION")
    remove = people_commands.add_parser("remove", help="delete a person's images, embeddings and logged crops")
    remove.add_argument("name")
    export = people_commands.add_parser("export", help="write a person's enrollment to one archive (zip)")
    export.add_argument("name")
    export.add_argument("file", type=Path)
    import_ = people_commands.add_parser("import", help="add the person in an archive made by export")
    import_.add_argument("file", type=Path)

    train = commands.add_parser("train", help="train the Siamese model on the enrolled people and negatives")
    train.add_argument("--epochs", type=_positive_int, default=TrainingConfig.epochs)
    train.add_argument("--batch-size", type=_positive_int, default=TrainingConfig.batch_size,
                       help="images per step; every pair among them is a training example")
    train.add_argument("--learning-rate", type=_positive_float, default=TrainingConfig.learning_rate)
    train.add_argument("--seed", type=int, default=TrainingConfig.seed)
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
    _add_hard_negatives(train)
    train.add_argument("--no-match-camera", dest="match_camera", action="store_false",
                       help="do not give negatives the enrolled camera's look (for comparison only)")
    train.add_argument("--strategy", choices=("default", "mirrored", "multiworker"),
                       default=TrainingConfig.strategy)
    train.add_argument("--replace-if-worse", action="store_true",
                       help="use the new model even when it does not beat the model in use on held-out images")
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
    evaluate.add_argument("--impostor-images", type=_positive_int, default=1,
                          help="person protocol: images of each of the 300 impostor people verified (default 1)")
    evaluate.add_argument("--camera-look", action="store_true",
                          help="show the enrolled person and every probe through one simulated camera")
    _add_hard_negatives(evaluate)
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
        command.add_argument("images", type=Path, nargs="*", metavar="IMAGE")
        command.add_argument("--camera", metavar="SOURCE",
                             help="decide on a burst of frames from a camera index, video file, image sequence "
                             "(frames/%%04d.jpg) or stream URL instead of on image files")
        command.add_argument("--frames", type=_positive_int, default=BURST_FRAMES,
                             help=f"frames with a face in the --camera burst (default {BURST_FRAMES})")
        command.add_argument("--no-liveness", dest="liveness", action="store_false",
                             help="with --camera: skip the liveness check (head turns), so a photo can pass")
        command.add_argument("--level", choices=LEVEL_NAMES,
                             help="security level for this decision (default: the saved one, see `faceverify level`)")
        command.add_argument("--detection-threshold", type=_threshold, help="a fixed detection threshold (custom)")
        command.add_argument("--verification-threshold", type=_threshold)
        command.add_argument("--json", action="store_true", help="print the results as JSON")

    level = commands.add_parser("level", help="show or choose the security level: how many strangers may pass")
    level.add_argument("name", nargs="?", choices=LEVEL_NAMES, metavar="LEVEL",
                       help="; ".join(lvl.describe() for lvl in LEVELS.values())
                       + "; custom: the detection and verification thresholds as set by hand")

    log = commands.add_parser("log", help="recent verifications and identifications")
    log.add_argument("--limit", type=_positive_int, default=20)
    log.add_argument("--json", action="store_true")

    liveness = commands.add_parser("liveness", help="show or change the liveness check of camera verifications")
    switch = liveness.add_mutually_exclusive_group()
    switch.add_argument("--on", dest="enabled", action="store_true", default=None, help="check (the default)")
    switch.add_argument("--off", dest="enabled", action="store_false", help="do not check: a photo can pass")
    liveness.add_argument("--prompts", type=_in_range(int, *PROMPT_RANGE), help="head turns asked for")
    liveness.add_argument("--seconds", type=_in_range(float, *SECONDS_RANGE), help="time allowed for each")

    operator = commands.add_parser("operator", help="show, set, change or clear the operator's password (the window's)")
    operator.add_argument("action", nargs="?", choices=("status", "set", "change", "clear"), default="status",
                          help="set or change: asks for the new password twice (on a terminal) or reads one line "
                          "from stdin; clear: the window starts open again (also the way back from a forgotten one)")

    menu = commands.add_parser("menu-entry", help="add the app to the desktop's menu (Linux), started with this "
                               "Python (a virtual environment's too) on --home if given; --remove takes it away")
    menu.add_argument("--remove", action="store_true", help="remove the menu entry and icon")

    commands.add_parser("bench", help="measure verification speed on this machine")
    gui = commands.add_parser("gui", help="start the desktop app")
    gui.add_argument("--camera", help="device index, video file or stream URL")
    return parser
