"""`coach exercises list | show NAME | validate FILE...`: the library of exercise definitions."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from coach.errors import ExerciseError

if TYPE_CHECKING:
    from coach.exercise_library import Library


def add_parser(sub):
    parser = sub.add_parser("exercises", help="list, show and validate exercise definitions")
    parser.add_argument("--dir", help="a folder of your own definitions (default: data/exercises or $COACH_EXERCISES_DIR)")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the exercises available: built-in and your own")
    listing.add_argument("--json", action="store_true", help="one JSON object per exercise, one per line")
    show = actions.add_parser("show", help="print one definition as YAML")
    show.add_argument("name", help="exercise id or a definition file")
    show.add_argument("--comments", action="store_true",
                      help="explain each field in a comment above it (units, default, range)")
    validate = actions.add_parser("validate", help="check definition files; exit 1 if any has an error")
    validate.add_argument("files", nargs="+", metavar="FILE")
    parser.set_defaults(run=run)


def run(args) -> int:
    from coach.exercise_library import Library

    if args.action == "validate":
        return validate(args.files)
    library = Library(user=args.dir)
    warn_problems(library)
    if args.action == "show":
        return show(library, args.name, args.comments)
    return listing(library, args.json)


def listing(library: Library, as_json: bool) -> int:
    from coach.exercise_library import BUILTIN_DIR

    rows = []
    for exercise_id in library.ids():
        exercise = library.exercises[exercise_id]
        source = library.sources[exercise_id]
        origin = "built-in" if source.parent == BUILTIN_DIR else str(source)
        if as_json:
            print(json.dumps({"id": exercise.id, "name": exercise.name, "views": exercise.views,
                              "signal": exercise.drive_name, "source": origin}))
        else:
            rows.append((exercise.id, exercise.name, "/".join(exercise.views), origin))
    for line in aligned(rows):
        print(line)
    return 0


def aligned(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows of text as lines, each column as wide as its widest cell: an id of any length keeps
    the columns straight (a fixed 16 let a longer one push its row out of line)."""
    widths = [max(len(cell) for cell in column) for column in zip(*rows)]
    return [" ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def warn_problems(library: Library):
    """One warning line per problem of the user's files: a bad file only disables itself."""
    for problem in library.problems:
        print(f"coach: warning: {problem}", file=sys.stderr)


def show(library: Library, name: str, comments: bool = False) -> int:
    import yaml

    from coach.exercises import read
    from coach.reference import commented

    exercise = library.get(name)
    source = library.sources.get(exercise.id)
    if source is not None and name in library.exercises:
        print(f"# {source}")
        text = read(source)
    else:
        text = yaml.safe_dump(exercise.model_dump(mode="json", exclude_defaults=False), sort_keys=False)
    print(commented(text, exercise) if comments else text, end="")
    return 0


def validate(files: list[str]) -> int:
    from coach.exercises import DefinitionError, load

    failed = 0
    for path in files:
        try:
            exercise = load(path)
        except DefinitionError as error:
            failed += 1
            print("\n".join(map(str, error.problems)), file=sys.stderr)
            continue
        except ExerciseError as error:
            failed += 1
            print(error, file=sys.stderr)
            continue
        print(f"{path}: ok ({exercise.id}: {exercise.name})")
    return 1 if failed else 0
