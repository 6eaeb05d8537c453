"""Routines: the built-ins load against the exercise library, errors name file, line and field word
for word (the same machinery as exercises), the user's routines replace built-ins, and `coach
routines` behaves."""

import json
from pathlib import Path

import pytest

from coach.cli import main
from coach.errors import RoutineError
from coach.exercise_library import Library as Exercises
from coach.routines import BUILTIN_DIR, DefinitionError, Library, parse, plan, plan_line

EXERCISES = Exercises(user=Path("/nonexistent")).exercises
TWO_BLOCKS = """\
id: squats_then_plank
name: Squats then plank
blocks:
  - exercise: squat
    sets: 3
    reps: 10
    rest_s: 60
  - exercise: plank
    sets: 2
    seconds: 30
"""


def problems(text: str) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse(text, "mine.yaml", EXERCISES)
    return [str(problem) for problem in caught.value.problems]


def test_the_built_in_routines_load_and_read_as_a_plan():
    library = Library(EXERCISES, user=Path("/nonexistent"))
    assert library.problems == []
    assert {"squats_and_push_ups", "plank_core"} <= set(library.ids())
    assert plan(library.get("squats_and_push_ups"), EXERCISES) == ["3 x 10 squats, 60 s rest", "3 x 8 push-ups, 60 s rest"]
    # The last block's rest comes only between its own sets.
    assert plan(library.get("plank_core"), EXERCISES) == ["3 x 30 s plank, 30 s rest", "1 x 12 glute bridges"]
    assert plan_line(library.get("plank_core").blocks[1], EXERCISES["glute_bridge"]) == "1 x 12 glute bridges, 60 s rest"


def test_a_two_block_routine_parses_with_its_defaults():
    routine = parse(TWO_BLOCKS, "mine.yaml", EXERCISES)
    squats, plank = routine.blocks
    assert (squats.exercise, squats.sets, squats.target, squats.rest_s) == ("squat", 3, 10, 60)
    assert (plank.exercise, plank.sets, plank.target, plank.seconds, plank.rest_s) == ("plank", 2, 30, 30, 60)


@pytest.mark.parametrize("text, expected", [
    (TWO_BLOCKS.replace("exercise: squat", "exercise: sqat"),
     ["mine.yaml:4 blocks.0.exercise: unknown exercise 'sqat'; did you mean `squat`?"]),
    (TWO_BLOCKS.replace("exercise: squat", "exercise: yoga_flow"),
     ["mine.yaml:4 blocks.0.exercise: unknown exercise 'yoga_flow' (exercises: " + ", ".join(sorted(EXERCISES)) + ")"]),
    (TWO_BLOCKS.replace("    rest_s: 60", "    rest: 60"),
     ["mine.yaml:7 blocks.0.rest: unknown field; did you mean `rest_s`?"]),
    (TWO_BLOCKS.replace("    seconds: 30", "    reps: 30"),
     ["mine.yaml:10 blocks.1.reps: Plank is a hold: give `seconds` held, not `reps`"]),
    (TWO_BLOCKS.replace("    reps: 10", "    seconds: 10"),
     ["mine.yaml:6 blocks.0.seconds: Squat counts reps: give `reps`, not `seconds`"]),
    (TWO_BLOCKS.replace("    reps: 10", "    reps: 10\n    seconds: 10"),
     ["mine.yaml:6 blocks.0.reps: a block takes `reps` (a rep exercise) or `seconds` (a hold), one of them"]),
    (TWO_BLOCKS.replace("sets: 3", "sets: 0"),
     ["mine.yaml:5 blocks.0.sets: Input should be greater than or equal to 1, got 0"]),
    (TWO_BLOCKS.replace("name: Squats then plank\n", ""), ["mine.yaml:1 name: missing"]),
    ("id: empty\nname: Empty\nblocks: []\n", ["mine.yaml:3 blocks: List should have at least 1 item after validation, not 0"]),
    ("- squat\n- plank\n", ["mine.yaml:1: a routine is a mapping of fields (id, name, blocks)"]),
    (TWO_BLOCKS.replace("    sets: 2", "    sets 2"), ["mine.yaml:9: no `:` after the field name (write `name: value`)"]),
])
def test_routine_errors_name_file_line_and_field(text, expected):
    assert problems(text) == expected


def test_without_the_library_only_the_schema_is_checked():
    routine = parse(TWO_BLOCKS.replace("exercise: squat", "exercise: sqat"), "mine.yaml")
    assert routine.blocks[0].exercise == "sqat"


def test_a_user_routine_replaces_a_built_in_and_a_bad_one_only_disables_itself(tmp_path):
    (tmp_path / "mine.yaml").write_text(TWO_BLOCKS.replace("id: squats_then_plank", "id: plank_core"))
    (tmp_path / "broken.yaml").write_text(TWO_BLOCKS.replace("id: squats_then_plank", "id: broken").replace("sets: 3", "sets: three"))
    library = Library(EXERCISES, user=tmp_path)
    assert library.get("plank_core").name == "Squats then plank" and library.sources["plank_core"] == tmp_path / "mine.yaml"
    assert "broken" not in library.ids()
    assert [str(p) for p in library.problems] == [
        f"{tmp_path / 'broken.yaml'}:5 blocks.0.sets: Input should be a valid integer, unable to parse string as an integer, got 'three'"]
    with pytest.raises(RoutineError, match=r"^unknown routine 'plank_cor'; did you mean `plank_core`\?$"):
        library.get("plank_cor")


def test_two_user_routines_with_one_id_are_reported_as_two_exercises_are(tmp_path):
    """Routines load through the one loader of every library (coach.definitions.Library)."""
    (tmp_path / "a.yaml").write_text(TWO_BLOCKS.replace("id: squats_then_plank", "id: mine"))
    (tmp_path / "b.yaml").write_text(TWO_BLOCKS.replace("id: squats_then_plank", "id: mine")
                                     .replace("name: Squats then plank", "name: B"))
    library = Library(EXERCISES, user=tmp_path)
    assert library.get("mine").name == "B"
    assert [str(p) for p in library.problems] == [
        f"{tmp_path / 'b.yaml'}: id 'mine' is also the id of a.yaml; this file replaces it (rename one)"]


def test_coach_routines_list_show_and_validate(tmp_path, capsys):
    assert main(["routines", "--dir", str(tmp_path), "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = next(line for line in lines if line.startswith("squats_and_push_ups "))
    assert "3 x 10 squats, 60 s rest; then 3 x 8 push-ups, 60 s rest" in row and row.endswith("(built-in)")
    assert main(["routines", "--dir", str(tmp_path), "list", "--json"]) == 0
    records = {r["id"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert records["plank_core"]["blocks"][0] == {"exercise": "plank", "sets": 3, "seconds": 30.0, "rest_s": 30.0}
    assert main(["routines", "--dir", str(tmp_path), "show", "squats_and_push_ups"]) == 0
    shown = capsys.readouterr().out
    assert shown.splitlines()[0] == f"# {BUILTIN_DIR / 'squats_and_push_ups.yaml'}"
    assert shown.split("\n", 1)[1] == (BUILTIN_DIR / "squats_and_push_ups.yaml").read_text()
    (tmp_path / "checked").mkdir()
    good, bad = tmp_path / "checked" / "good.yaml", tmp_path / "checked" / "bad.yaml"
    good.write_text(TWO_BLOCKS)
    bad.write_text(TWO_BLOCKS.replace("exercise: plank", "exercise: plnak"))
    assert main(["routines", "validate", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: ok (squats_then_plank: Squats then plank, 2 blocks)\n"
    assert main(["routines", "validate", str(good), str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"{bad}:8 blocks.1.exercise: unknown exercise 'plnak'; did you mean `plank`?\n"
    assert main(["routines", "--dir", str(tmp_path), "show", "nope"]) == 1
    assert capsys.readouterr().err.startswith("coach: error: unknown routine 'nope' (valid: ")
