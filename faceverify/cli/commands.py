"""The `faceverify` command line: a thin face over the core, like the GUI (its grammar is in :mod:`cli_parser`).

Errors a user can cause print one line on stderr and exit with status 2; nothing else changes.
"""
from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
from collections.abc import Callable, Sequence

from faceverify.capture.camera import parse_source
from faceverify.cli.parser import EXIT_ERROR, EXIT_NOT_VERIFIED, EXIT_OK, build_parser
from faceverify.cli.terminal import ProgressBar, PromptLine
from faceverify.errors import FaceverifyError
from faceverify.files.inputs import shown
from faceverify.home.diagnostics import log_to_home
from faceverify.home.store import Store, validate_name
from faceverify.training.config import TrainingConfig
from faceverify.verification import thresholds
from faceverify.verification.rule import CUSTOM_LEVEL, calibration_text

log = logging.getLogger(__name__)
EXIT_BUG = 1

MAX_ERROR_LINE = 400


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = build_parser().parse_args(argv)
    store = Store(args.home)
    log_to_home(store.log_path)
    try:
        return COMMANDS[args.command](store, args)
    except FaceverifyError as exc:
        return _fail(str(exc))
    except OSError as exc:  # permission denied, disk full, ...
        return _fail(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}")
    except sqlite3.Error as exc:
        return _fail(f"the audit log cannot be written ({exc})")
    except KeyboardInterrupt:
        return _fail("interrupted")
    except Exception as exc:  # a bug: one line for the user, the traceback in the home's log
        log.exception("faceverify %s failed", args.command)
        return _fail(f"unexpected error ({type(exc).__name__}); details in {store.log_path}", EXIT_BUG)


def _fail(message: str, status: int = EXIT_ERROR) -> int:
    """Print the error as one line of bounded length (a message may quote a file name of any length)."""
    print(f"faceverify: {shown(message, MAX_ERROR_LINE)}", file=sys.stderr)
    return status


# -- commands --------------------------------------------------------------------------------------------
def _enroll(store: Store, args: argparse.Namespace) -> int:
    from faceverify.enrollment.enroll import enroll

    result = enroll(store, args.name, args.paths, args.role)
    print(f"{args.name}: added {result.added['anchor']} anchor and {result.added['positive']} positive images")
    if result.without_face:
        print(f"  {result.without_face} had no detectable face: their centre was used")
    if result.skipped:
        print(f"  skipped {len(result.skipped)} unreadable files, e.g. {result.skipped[0]}")
    return EXIT_OK


def _import_lfw(store: Store, args: argparse.Namespace) -> int:
    from faceverify.enrollment.enroll import import_lfw
    from faceverify.enrollment.lfw import read_people_file

    people = {name for name, _ in read_people_file(args.people)} if args.people else None
    with ProgressBar("importing") as bar:
        result = import_lfw(store.ensure(), args.path, people, on_progress=bar.update)
    print(f"imported {result.added} negatives ({result.already_there} already there, "
          f"{result.unreadable} unreadable skipped, {result.without_face} without a detected face)")
    return EXIT_OK


def _people(store: Store, args: argparse.Namespace) -> int:
    if args.people_command in ("export", "import"):
        return _transfer(store, args)
    if args.people_command == "remove":
        from faceverify.enrollment.enroll import remove_person

        remove_person(store, args.name)
        print(f"removed {validate_name(args.name)}: images, cached embeddings and logged attempts")
        return EXIT_OK
    people = store.people()
    levels = _level_thresholds(store, people)
    for person in people:
        print(f"{person.name}\t{person.anchors} anchors\t{person.positives} positives{levels.get(person.name, '')}")
    if not people:
        print("nobody enrolled yet: faceverify enroll NAME --from PATH")
    print(f"{store.negative_count()} negative images", file=sys.stderr)
    return EXIT_OK


def _level_thresholds(store: Store, people: list) -> dict[str, str]:
    """Each person's threshold at the saved security level, with its warning, as a column; {} at custom."""
    from faceverify.verification.levels import chosen_level, level_named

    level = level_named(chosen_level(store.load_settings()))
    if level is None or not people:
        return {}
    from faceverify.verification.verifier import Verifier

    verifier, columns = Verifier(store), {}
    verification = thresholds.threshold(store, "verification_threshold")
    for person in people:
        try:
            found = verifier.level_threshold(person.name, level, verification)
        except FaceverifyError as exc:
            columns[person.name] = f"\t{level.title}: {exc}"
            continue
        warning = found.warning()
        columns[person.name] = f"\t{level.title}: {found.describe()}" + (f"\n  warning: {warning}" if warning else "")
    return columns


def _transfer(store: Store, args: argparse.Namespace) -> int:
    from faceverify.enrollment.transfer import export_person, import_person

    if args.people_command == "export":
        done = export_person(store, args.name, args.file)
        print(f"exported {done.name}: {done.anchors} anchors, {done.positives} positives to {args.file}")
    else:
        done = import_person(store.ensure(), args.file)
        if done.anchors + done.positives:
            print(f"imported {done.name}: {done.anchors} anchors, {done.positives} positives added "
                  f"({done.already_there} already enrolled)")
        else:
            print(f"nothing new: all {done.already_there} images of {done.name} are enrolled already")
    return EXIT_OK


def _train(store: Store, args: argparse.Namespace) -> int:
    from faceverify.training.trainer import Trainer

    def show(progress) -> None:
        last = progress.last_epoch
        figures = f" val P {last.val_precision:.2f} R {last.val_recall:.2f}" if last else ""
        if progress.validating:
            figures += " (validating)"
        bar.update(progress.step, progress.steps,
                   f"epoch {progress.epoch}/{progress.epochs} loss {progress.loss:.3f}{figures}",
                   eta=progress.remaining)

    if not store.root.is_dir():  # a failed training creates no home
        raise FaceverifyError(f"No home folder at {store.root}: enroll a person first (faceverify enroll NAME --from "
                              "PATH)")
    with ProgressBar("training") as bar:
        if args.resume:
            trainer = Trainer.resume(store, on_progress=show)
            print(f"resuming after epoch {trainer.epochs_done()} of {trainer.config.epochs}", file=sys.stderr)
        else:
            config = TrainingConfig(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                                    seed=args.seed, lfw_identities=args.lfw_identities,
                                    steps_per_epoch=args.steps_per_epoch, fine_tune=args.fine_tune,
                                    from_scratch=args.from_scratch,
                                    augment=args.augment, hard_negatives=args.hard_negatives,
                                    match_camera=args.match_camera, strategy=args.strategy, minutes=args.minutes,
                                    replace_if_worse=args.replace_if_worse)
            trainer = Trainer(store, config, on_progress=show)
        result = trainer.run()
    final = result.history[-1]
    saved = f"model saved to {store.model_path}" if result.replaced else "new model not saved: the model in use stays"
    print(f"trained {len(result.history)} epochs at {result.pairs_per_second:.1f} pairs/s: "
          f"val loss {final.val_loss:.3f}, precision {final.val_precision:.3f}, recall {final.val_recall:.3f}, "
          f"accuracy {final.val_accuracy:.3f}; {saved}{calibration_text(result.calibration)}")
    if result.comparison:
        print(result.comparison.describe())
    return EXIT_OK


def _evaluate(store: Store, args: argparse.Namespace) -> int:
    from faceverify.evaluation.protocols import evaluate_lfw_pairs, evaluate_validation
    from faceverify.verification.metrics import save_report

    threshold = args.threshold if args.threshold is not None else thresholds.threshold(store, "detection_threshold")
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
    from faceverify.evaluation.person_protocol import PersonProtocol
    from faceverify.faces.look import CameraLook

    if not args.lfw:
        raise FaceverifyError("--person-protocol needs --lfw: the lfw/ folder of one folder per person")
    people = args.people or args.lfw.parent / "peopleDevTrain.txt"
    if not people.is_file():
        raise FaceverifyError(f"No people file at {people}: give --people peopleDevTrain.txt")
    if args.pretrained and not args.pretrained.is_file():
        raise FaceverifyError(f"No model at {args.pretrained}")
    protocol = PersonProtocol(args.lfw, people, args.persons, camera=CameraLook() if args.camera_look else None,
                              training=TrainingConfig(match_camera=args.match_camera, from_scratch=args.from_scratch,
                                                      hard_negatives=args.hard_negatives),
                              pretrained=args.pretrained, one_shot=args.one_shot, impostor_images=args.impostor_images)
    report, scores, labels = protocol.run(args.work, say=lambda text: print(text, file=sys.stderr, flush=True))
    name = ("person_protocol" + ("_one_shot" if args.one_shot else "_scratch" if args.from_scratch else "")
            + ("_camera" if args.camera_look else "") + ("" if args.match_camera else "_unmatched"))
    return report, scores, labels, name


def _verify(store: Store, args: argparse.Namespace) -> int:
    return _decide(store, args, identify=False)


def _identify(store: Store, args: argparse.Namespace) -> int:
    return _decide(store, args, identify=True)


def _decide(store: Store, args: argparse.Namespace, identify: bool) -> int:
    """verify/identify: prepare every image first (a bad one stops everything), then decide and log each; or decide
    once on a burst of camera frames."""
    if bool(args.images) == (args.camera is not None):
        raise FaceverifyError(f"{args.command}: give image files or --camera SOURCE (one of the two)")
    person = None if identify else validate_name(args.name)
    if person is not None:
        store.require_person(person)
    from faceverify.verification.decisions import DecisionService

    if args.level not in (None, CUSTOM_LEVEL) and args.detection_threshold is not None:
        raise FaceverifyError(f"{args.command}: --level {args.level} sets each person's detection threshold: "
                              "give --level or --detection-threshold, not both")
    service = DecisionService(store, source="cli")
    try:
        thresholds = service.thresholds(args.detection_threshold, args.verification_threshold, args.level)
        if args.camera is not None:
            from faceverify.liveness.live_challenge import LivenessSettings
            from faceverify.verification.live_verify import decide_camera

            settings = LivenessSettings.from_settings(store.load_settings())
            challenge = settings.challenge() if args.liveness and settings.enabled else None
            prompts = PromptLine()
            try:
                live = decide_camera(service, parse_source(args.camera), person, *thresholds, count=args.frames,
                                     challenge=challenge, on_status=prompts.show)
            finally:
                prompts.close()
            outcomes, results = [live], [live.to_json()]
        else:
            outcomes = service.run_files(args.images, person, *thresholds)
            results = [o.to_json() for o in outcomes]
    finally:
        service.close()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for outcome in outcomes:
            print(outcome.describe())
    return EXIT_OK if all(o.accepted for o in outcomes) else EXIT_NOT_VERIFIED


def _log(store: Store, args: argparse.Namespace) -> int:
    from faceverify.home.audit import AuditLog, to_json_dict

    entries = []
    if store.audit_path.exists():
        with AuditLog(store.audit_path) as log:  # closed now: sqlite3 connections otherwise wait for the cyclic GC
            entries = log.recent(args.limit)
    if args.json:
        print(json.dumps([to_json_dict(e) for e in entries], indent=2))
        return EXIT_OK
    for e in entries:
        result = "ERROR" if e.error else "VERIFIED" if e.verified else "NOT VERIFIED"
        liveness = "" if e.liveness == "not checked" else f"  liveness {e.liveness}"
        liveness += f" ({e.liveness_reason})" if e.liveness == "failed" else ""
        print(f"{e.time}  {e.kind:<8} {e.person:<24} {result:<12} share {e.share:.2f}  mean {e.mean_score:.3f}"
              f"  [{e.source}: {e.image}]{liveness}")
    if not entries:
        print("no verifications logged yet")
    return EXIT_OK


def _liveness(store: Store, args: argparse.Namespace) -> int:
    from faceverify.liveness.live_challenge import LivenessSettings

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


def _level(store: Store, args: argparse.Namespace) -> int:
    from faceverify.verification.levels import LEVELS, chosen_level

    if args.name is not None:
        store.ensure().save_settings(security_level=args.name)
    chosen = chosen_level(store.load_settings())
    for level in LEVELS.values():
        print(f"{'*' if level.name == chosen else ' '} {level.describe()}, each person's threshold set for it")
    custom = "detection and verification thresholds as set by hand (--detection-threshold, the app's Advanced box)"
    print(f"{'*' if chosen == CUSTOM_LEVEL else ' '} Custom: {custom}")
    return EXIT_OK


def _operator(store: Store, args: argparse.Namespace) -> int:
    from faceverify.home import operator

    had = operator.has_password(store)
    if args.action == "clear":
        print("operator password removed: the window starts open" if operator.clear_password(store)
              else "no operator password was set: nothing to remove")
    elif args.action in ("set", "change"):
        if args.action == "change" and not had:
            raise FaceverifyError("No operator password is set yet: faceverify operator set")
        if args.action == "set" and had:
            raise FaceverifyError("An operator password is set already: faceverify operator change replaces it")
        operator.set_password(store.ensure(), _read_new_password())
        print("operator password changed" if had else "operator password set: the window starts locked")
    else:
        print("operator password: set (the window starts locked)" if had
              else "operator password: none (the window is open to everyone)")
    return EXIT_OK


def _read_new_password() -> str:
    """The new password: typed twice, hidden, on a terminal; else the first line of stdin (for scripts)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    password = getpass.getpass("New operator password: ")
    if getpass.getpass("Again: ") != password:
        raise FaceverifyError("The two passwords differ: nothing was changed")
    return password


def _menu_entry(store: Store, args: argparse.Namespace) -> int:
    from faceverify.cli import menu_entry

    if args.remove:
        removed = menu_entry.remove()
        print("\n".join(f"removed {path}" for path in removed) or "no menu entry was installed: nothing to remove")
        return EXIT_OK
    entry, icon, run = menu_entry.install(args.home)
    print(f"menu entry: {entry}\nicon: {icon}\nit runs: {' '.join(run)}")
    return EXIT_OK


def _bench(store: Store, args: argparse.Namespace) -> int:
    from faceverify.evaluation.bench import run_benchmark

    run_benchmark(print)
    return EXIT_OK


def _gui(store: Store, args: argparse.Namespace) -> int:
    from faceverify.gui.app import run

    return run(camera=args.camera, home=args.home)


COMMANDS: dict[str, Callable[[Store, argparse.Namespace], int]] = {
    "enroll": _enroll, "import-lfw": _import_lfw, "people": _people, "train": _train, "evaluate": _evaluate,
    "verify": _verify, "identify": _identify, "log": _log, "liveness": _liveness, "level": _level,
    "operator": _operator, "menu-entry": _menu_entry, "bench": _bench, "gui": _gui,
}
