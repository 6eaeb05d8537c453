"""Exercise definitions: the built-ins load, errors name file, line and field word for word, the
loader is safe, users' definitions override built-ins, and `coach exercises` behaves."""

from pathlib import Path

import pytest

from coach.cli import main
from coach.errors import ExerciseError
from coach.exercises import BUILTIN_DIR, DefinitionError, Library, load, parse, safe_file_name
from coach.pose.skeleton import Keypoint

SHIPPED = {"squat", "push_up", "pull_up", "sit_up", "jumping_jack", "front_raise", "bench_press", "glute_bridge",
           "lunge", "bicep_curl", "shoulder_press"}
# A definition of our own, so that tuning the built-ins never changes what these tests read.
SQUAT = """\
id: squat
name: Squat
description: Hips down until the thighs are level, then stand up.
views: [side, front]
visibility:
  keypoints: [hip, knee, ankle]
  min_score: 0.3
signals:
  knee:
    kind: angle
    points: [hip, knee, ankle]
  hip:
    kind: angle
    points: [shoulder, hip, knee]
  torso_lean:
    kind: inclination
    points: [shoulder, hip]
smoothing:
  filter: butterworth
  cutoff_hz: 2.0
  order: 2
count:
  signal: knee
  start: high
  phases: [standing, descending, bottom, ascending]
  min_range: 30
  depth: 0.5
  hysteresis: 4
  min_rep_s: 0.5
  rest_s: 10
form:
  - rule: shallow
    phase: bottom
    signal: knee
    stat: min
    above: 110
    cue: Go deeper
"""


def line_of(text: str, needle: str) -> int:
    return text.splitlines().index(next(line for line in text.splitlines() if needle in line)) + 1


def problems(text: str) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse(text, "mine.yaml")
    return caught.value.problems


def test_every_builtin_loads_and_the_library_has_them_all():
    library = Library(user=Path("/nonexistent"))
    assert set(library.ids()) >= SHIPPED
    assert library.errors == []
    for exercise_id in SHIPPED:
        exercise = library.get(exercise_id)
        assert exercise.id == exercise_id
        assert exercise.count.signal in exercise.signals
        assert len(exercise.count.phases) == 4


def test_squat_phases_and_sides_resolve_to_keypoints():
    assert load(BUILTIN_DIR / "squat.yaml").count.phases == ["standing", "descending", "bottom", "ascending"]
    squat = parse(SQUAT)
    assert squat.drive.keypoints == {
        "left": (Keypoint.left_hip, Keypoint.left_knee, Keypoint.left_ankle),
        "right": (Keypoint.right_hip, Keypoint.right_knee, Keypoint.right_ankle),
    }
    assert squat.visibility.groups()[1] == (Keypoint.right_hip, Keypoint.right_knee, Keypoint.right_ankle)


def test_signals_carry_their_units():
    library = Library()
    units = {ex.id: ex.drive.unit for ex in library.exercises.values()}
    assert units["squat"] == "degrees"  # an angle
    assert units["sit_up"] == "degrees"  # an inclination
    assert units["shoulder_press"] == "torso lengths"  # a height
    assert units["pull_up"] == "arm lengths"  # a height measured against the arm (hips out of view)


def test_a_typo_in_a_keypoint_name_names_file_line_and_field():
    text = SQUAT.replace("points: [shoulder, hip, knee]", "points: [shoulder, hips, knee]")
    line = line_of(text, "points: [shoulder, hips, knee]")
    [problem] = problems(text)
    assert problem.startswith(f"mine.yaml:{line} signals.hip.points.1: 'hips' is not a keypoint (use one of nose, left_eye,")
    assert problem.endswith("or a side-less joint: ankle, ear, elbow, eye, hip, knee, shoulder, wrist)")


def test_a_threshold_out_of_range():
    text = SQUAT.replace("depth: 0.5", "depth: 1.5")
    assert problems(text) == [f"mine.yaml:{line_of(text, 'depth: 1.5')} count.depth: Input should be less than or equal to 1, got 1.5"]


def test_a_missing_phase():
    text = SQUAT.replace("phases: [standing, descending, bottom, ascending]", "phases: [standing, descending, bottom]")
    assert problems(text) == [
        f"mine.yaml:{line_of(text, 'phases:')} count.phases: needs 4 phases (start, going, far end, coming back), got 3"]


def test_an_unknown_filter():
    text = SQUAT.replace("filter: butterworth", "filter: kalman")
    assert problems(text) == [
        f"mine.yaml:{line_of(text, 'filter: kalman')} smoothing.filter: unknown filter 'kalman' (use butterworth, one_euro, ema, none)"]


def test_a_parameter_of_another_filter_is_an_unknown_field():
    text = SQUAT.replace("  order: 2", "  order: 2\n  beta: 0.1")
    assert problems(text) == [f"mine.yaml:{line_of(text, 'beta: 0.1')} smoothing.beta: unknown field"]


def test_lower_threshold_must_be_under_the_upper_one():
    text = SQUAT.replace("  rest_s: 10", "  rest_s: 10\n  far_limit: 160\n  near_limit: 120")
    assert problems(text) == [f"mine.yaml:{line_of(text, 'far_limit: 160')} count.far_limit: with start: high, far_limit must be "
                              "under near_limit (got 160 and 120)"]


def test_references_to_unknown_signals_and_phases():
    text = SQUAT.replace("  signal: knee\n  start: high", "  signal: knees\n  start: high").replace(
        "    phase: bottom\n    signal: knee", "    phase: botom\n    signal: knee")
    assert problems(text) == [f"mine.yaml:{line_of(text, 'signal: knees')} count.signal: unknown signal 'knees' (signals: hip, knee, torso_lean)"]
    text = SQUAT.replace("    phase: bottom\n    signal: knee", "    phase: botom\n    signal: knee")
    assert problems(text) == [f"mine.yaml:{line_of(text, 'phase: botom')} form.0.phase: unknown phase 'botom' "
                              "(phases: standing, descending, bottom, ascending, rep)"]


def test_several_problems_are_all_reported_in_line_order():
    text = SQUAT.replace("min_rep_s: 0.5", "min_rep: 0.5").replace("cutoff_hz: 2.0", "cutoff_hz: -1")
    assert problems(text) == [
        f"mine.yaml:{line_of(text, 'cutoff_hz: -1')} smoothing.cutoff_hz: Input should be greater than 0, got -1",
        f"mine.yaml:{line_of(text, 'min_rep: 0.5')} count.min_rep: unknown field",
    ]


def test_yaml_syntax_duplicate_keys_and_a_missing_section():
    assert problems(SQUAT.replace("  order: 2", "  order: 2\n  order: 3")) == [
        f"mine.yaml:{line_of(SQUAT, 'order: 2') + 1}: duplicate key 'order'"]
    assert problems(SQUAT[: SQUAT.index("count:")] + SQUAT[SQUAT.index("form:"):]) == ["mine.yaml:1 count: missing"]
    assert problems("- just\n- a list\n") == [
        "mine.yaml:1: an exercise definition is a mapping of fields (id, name, signals, count, ...)"]
    [problem] = problems("id: [unclosed\n")
    assert problem.startswith("mine.yaml:2: ")


def test_the_loader_is_safe():
    text = "id: !!python/object/apply:os.system ['echo pwned']\n" + SQUAT.split("\n", 1)[1]
    [problem] = problems(text)
    assert problem.startswith("mine.yaml:1: could not determine a constructor for the tag")


def test_user_definitions_override_builtins_by_id_and_broken_ones_are_reported(tmp_path):
    (tmp_path / "squat.yaml").write_text(SQUAT.replace("name: Squat", "name: My squat"))
    (tmp_path / "plank_jack.yaml").write_text(
        (BUILTIN_DIR / "jumping_jack.yaml").read_text().replace("id: jumping_jack", "id: plank_jack"))
    (tmp_path / "broken.yaml").write_text(SQUAT.replace("depth: 0.5", "depth: 2"))
    library = Library(user=tmp_path)
    assert library.get("squat").name == "My squat"
    assert library.sources["squat"] == tmp_path / "squat.yaml"
    assert "plank_jack" in library.ids() and "push_up" in library.ids()
    assert len(library.errors) == 1 and library.errors[0].startswith(f"{tmp_path / 'broken.yaml'}:")
    # A definition given by path is loaded as it is; a bad one raises with its line.
    assert library.get(str(tmp_path / "plank_jack.yaml")).id == "plank_jack"
    with pytest.raises(ExerciseError, match=r"broken\.yaml:\d+ count\.depth"):
        library.get(str(tmp_path / "broken.yaml"))
    with pytest.raises(ExerciseError, match=r"unknown exercise 'squats' \(valid: bench_press, bicep_curl, "):
        library.get("squats")


def test_user_folder_from_the_environment(tmp_path, monkeypatch):
    (tmp_path / "squat.yaml").write_text(SQUAT.replace("name: Squat", "name: Env squat"))
    monkeypatch.setenv("COACH_EXERCISES_DIR", str(tmp_path))
    assert Library().get("squat").name == "Env squat"


def test_safe_file_names():
    assert safe_file_name("my_squat") == "my_squat.yaml"
    for bad in ("../etc/passwd", "a/b", "Squat", ""):
        with pytest.raises(ExerciseError):
            safe_file_name(bad)


def test_cli_validate_list_and_show(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text(SQUAT)
    bad = tmp_path / "bad.yaml"
    bad.write_text(SQUAT.replace("filter: butterworth", "filter: kalman"))
    assert main(["exercises", "validate", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: ok (squat: Squat)\n"
    assert main(["exercises", "validate", str(good), str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.err == (f"{bad}:{line_of(SQUAT, 'filter: butterworth')} smoothing.filter: unknown filter 'kalman' "
                            "(use butterworth, one_euro, ema, none)\n")
    assert main(["exercises", "--dir", str(tmp_path / "none"), "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == sorted(SHIPPED)
    assert main(["exercises", "show", "squat"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"# {BUILTIN_DIR / 'squat.yaml'}\n") and "phases: [standing, descending, bottom, ascending]" in shown
    assert main(["exercises", "show", "nope"]) == 1
    assert "coach: error: unknown exercise 'nope' (valid: " in capsys.readouterr().err
