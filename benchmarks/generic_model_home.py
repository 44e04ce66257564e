"""Import the people the shipped generic model trains on into a home (maintainers only).

    python benchmarks/generic_model_home.py HOME --lfw D/lfw --people D/peopleDevTrain.txt [--unused-impostors]

View 1's training people less everyone the person protocol (seed 0, 3 people, 300 impostors) measures with:
its negatives' people, and with ``--unused-impostors`` also the people of its impostor share it never uses
(stage 2 of the shipped model). The chosen people and the 300 impostors used are never imported.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from faceverify.enrollment.enroll import import_lfw
from faceverify.enrollment.lfw import read_people_file
from faceverify.evaluation.person_protocol import NEGATIVES_SHARE, PersonProtocol
from faceverify.home.store import Store
from faceverify.training.pairs import split_keys


def people(lfw: Path, people_file: Path, unused_impostors: bool) -> set[str]:
    """The names to import; asserts that none of the protocol's chosen people or used impostors is among them."""
    protocol = PersonProtocol(lfw, people_file)
    chosen, negatives, impostors = protocol.people()
    names = set(negatives)
    if unused_impostors:
        chosen_names = {name for name, _ in chosen}
        rest = [name for name, _ in read_people_file(people_file) if name not in chosen_names]
        names |= set(split_keys(rest, protocol.seed, NEGATIVES_SHARE)[1]) - set(impostors)
    assert not names & ({name for name, _ in chosen} | set(impostors))
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--lfw", type=Path, required=True)
    parser.add_argument("--people", type=Path, required=True, help="peopleDevTrain.txt")
    parser.add_argument("--unused-impostors", action="store_true")
    args = parser.parse_args(argv)
    names = people(args.lfw, args.people, args.unused_impostors)
    print(f"{len(names)} people: {import_lfw(Store(args.home).ensure(), args.lfw, names)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
