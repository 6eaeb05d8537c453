"""`coach routines list | show ID | validate FILE...`: workouts with a goal (coach.routines)."""

from __future__ import annotations

import json
import sys

from coach.cli.exercises import warn_problems


def add_parser(sub):
    parser = sub.add_parser("routines", help="list, show and validate routines (sets of exercises with a goal)")
    parser.add_argument("--dir", help="a folder of your own routines (default: data/routines or $COACH_ROUTINES_DIR)")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the routines available: built-in and your own")
    listing.add_argument("--json", action="store_true", help="one JSON object per routine, one per line")
    show = actions.add_parser("show", help="print one routine as YAML")
    show.add_argument("name", help="routine id or a routine file")
    validate = actions.add_parser("validate", help="check routine files; exit 1 if any has an error")
    validate.add_argument("files", nargs="+", metavar="FILE")
    parser.set_defaults(run=run)


def run(args) -> int:
    from coach.exercise_library import Library as Exercises
    from coach.routines import Library

    exercises = Exercises()
    warn_problems(exercises)
    if args.action == "validate":
        return validate(args.files, exercises.exercises)
    library = Library(exercises.exercises, user=args.dir)
    warn_problems(library)
    if args.action == "show":
        return show(library, args.name)
    return listing(library, args.json)


def listing(library, as_json: bool) -> int:
    from coach.routines import BUILTIN_DIR, plan

    width = max((len(i) for i in library.ids()), default=0)
    for routine_id in library.ids():
        routine = library.routines[routine_id]
        source = library.sources[routine_id]
        origin = "built-in" if source.parent == BUILTIN_DIR else str(source)
        words = plan(routine, library.exercises)
        if as_json:
            print(json.dumps({"id": routine.id, "name": routine.name, "blocks": [b.model_dump(exclude_none=True)
                                                                                 for b in routine.blocks],
                              "plan": words, "source": origin}))
        else:
            print(f"{routine.id:<{width}}  {routine.name:<22} {'; then '.join(words)}  ({origin})")
    return 0


def show(library, name: str) -> int:
    import yaml

    from coach.routines import read

    routine = library.get(name)
    source = library.sources.get(routine.id)
    if source is not None and name in library.routines:
        print(f"# {source}")
        print(read(source), end="")
    else:
        print(yaml.safe_dump(routine.model_dump(mode="json", exclude_none=True), sort_keys=False), end="")
    return 0


def validate(files: list[str], exercises) -> int:
    from coach.routines import DefinitionError, load

    failed = 0
    for path in files:
        try:
            routine = load(path, exercises)
        except DefinitionError as error:
            failed += 1
            print("\n".join(map(str, error.problems)), file=sys.stderr)
            continue
        print(f"{path}: ok ({routine.id}: {routine.name}, {len(routine.blocks)} "
              f"block{'' if len(routine.blocks) == 1 else 's'})")
    return 1 if failed else 0
