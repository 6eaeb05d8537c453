"""Exercise definitions: the built-ins load, errors name file, line and field word for word, the
loader is safe, users' definitions override built-ins, and `coach exercises` behaves."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coach.cli import main
from coach.definitions import Problem
from coach.errors import ExerciseError
from coach.exercise_library import BUILTIN_DIR, Library, safe_file_name, save
from coach.exercises import DefinitionError, load, parse
from coach.pose.skeleton import Keypoint

SHIPPED = {"squat", "push_up", "pull_up", "sit_up", "jumping_jack", "front_raise", "bench_press", "glute_bridge",
           "lunge", "bicep_curl", "shoulder_press", "auto"}
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
    return [str(problem) for problem in caught.value.problems]


def test_every_builtin_loads_and_the_library_has_them_all():
    library = Library(user=Path("/nonexistent"))
    assert set(library.ids()) >= SHIPPED
    assert library.problems == []
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
    assert problems(text) == [f"mine.yaml:{line} signals.hip.points.1: 'hips' is not a keypoint; did you mean `hip`?"]
    # Nothing close: every name it could be.
    [problem] = problems(SQUAT.replace("points: [shoulder, hip, knee]", "points: [shoulder, pelvis, knee]"))
    assert problem.startswith(f"mine.yaml:{line} signals.hip.points.1: 'pelvis' is not a keypoint (use one of nose, left_eye,")
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
    text = SQUAT.replace("filter: butterworth", "filter: buterworth")
    assert problems(text) == [
        f"mine.yaml:{line_of(text, 'filter: buterworth')} smoothing.filter: unknown filter 'buterworth'; did you mean `butterworth`?"]


def test_a_parameter_of_another_filter_is_an_unknown_field():
    text = SQUAT.replace("  order: 2", "  order: 2\n  beta: 0.1")
    assert problems(text) == [f"mine.yaml:{line_of(text, 'beta: 0.1')} smoothing.beta: unknown field "
                              "(the fields here: filter, cutoff_hz, order, rate_hz)"]


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
        f"mine.yaml:{line_of(text, 'min_rep: 0.5')} count.min_rep: unknown field; did you mean `min_rep_s`?",
    ]


def test_yaml_syntax_duplicate_keys_and_a_missing_section():
    assert problems(SQUAT.replace("  order: 2", "  order: 2\n  order: 3")) == [
        f"mine.yaml:{line_of(SQUAT, 'order: 2') + 1}: duplicate key 'order'"]
    assert problems(SQUAT[: SQUAT.index("count:")] + SQUAT[SQUAT.index("form:"):]) == ["mine.yaml:1 count: missing"]
    assert problems("- just\n- a list\n") == [
        "mine.yaml:1: an exercise definition is a mapping of fields (id, name, signals, count, ...)"]
    assert problems("id: [unclosed\n") == ["mine.yaml:1: an opening [ is never closed"]


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
    [problem] = library.problems
    assert (problem.file, problem.field) == (str(tmp_path / "broken.yaml"), "count.depth")
    # A definition given by path is loaded as it is; a bad one raises with its line.
    assert library.get(str(tmp_path / "plank_jack.yaml")).id == "plank_jack"
    with pytest.raises(ExerciseError, match=r"broken\.yaml:\d+ count\.depth"):
        library.get(str(tmp_path / "broken.yaml"))
    with pytest.raises(ExerciseError, match=r"unknown exercise 'squats' \(valid: auto, bench_press, bicep_curl, "):
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
    assert [line.split()[0] for line in listed] == sorted(SHIPPED | {"plank", "wall_sit"})
    assert main(["exercises", "show", "squat"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"# {BUILTIN_DIR / 'squat.yaml'}\n") and "phases: [standing, descending, bottom, ascending]" in shown
    assert main(["exercises", "show", "nope"]) == 1
    assert "coach: error: unknown exercise 'nope' (valid: " in capsys.readouterr().err


def test_cli_list_keeps_its_columns_straight_for_a_long_id(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "single_leg_box_squat_slow.yaml").write_text(
        SQUAT.replace("id: squat", "id: single_leg_box_squat_slow").replace("name: Squat", "name: Box squat"))
    assert main(["exercises", "--dir", str(mine), "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert main(["exercises", "--dir", str(mine), "list", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # Each name starts in the same column, after the longest id.
    starts = {line.index(row["name"], len(row["id"])) for line, row in zip(listed, rows)}
    assert starts == {len("single_leg_box_squat_slow") + 1}, listed


def alias_bomb(levels: int) -> str:
    """A "billion laughs" document: each level lists the one below nine times (9**levels values)."""
    lines = ['a0: &a0 ["lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("text, expected", [
    (alias_bomb(9), "mine.yaml:5: this expands (through aliases) to more than 10,000 values; a definition needs a few hundred"),
    (SQUAT + "zz:\n" + "".join(f"  {line}\n" for line in alias_bomb(7).splitlines()),
     f"mine.yaml:{len(SQUAT.splitlines()) + 6}: this expands (through aliases) to more than 10,000 values; a definition needs a few hundred"),
    ("a: &a [*a]\n", "mine.yaml:1: an alias refers to the value it is in"),
    ("id: " + "[" * 10_000 + "]" * 10_000 + "\n", "mine.yaml:1: nested more than 50 deep"),
    (SQUAT.replace("min_range: 30", "min_range: " + "9" * 5000), f"mine.yaml:{line_of(SQUAT, 'min_range')}: a number of 5000 digits is too long"),
    (SQUAT.replace("name: Squat", "name: Sq\0uat"), "mine.yaml:2: control character U+0000 is not allowed in a definition"),
    (SQUAT.replace("name: Squat", "name: Sq\fuat"), "mine.yaml:2: control character U+000C is not allowed in a definition"),
    (SQUAT.replace("name: Squat", "name: \x1b[31mSquat"), "mine.yaml:2: control character U+001B is not allowed in a definition"),
    ("id: 2020-13-45\n", "mine.yaml:1: cannot read this value: month must be in 1..12"),
    ("id: !!float abc\n", "mine.yaml:1: cannot read this value: could not convert string to float: 'abc'"),
    ("? [a, b]\n: 1\n", "mine.yaml:1: a key must be a plain name"),
    ("a: &a {x: 1}\nb: {<<: *a}\n", "mine.yaml:2: `<<` merge keys are not used in definitions"),
    (SQUAT.replace("min_range: 30", "min_range: .inf"), f"mine.yaml:{line_of(SQUAT, 'min_range')} count.min_range: Input should be a finite number, got inf"),
    (SQUAT.replace("hysteresis: 4", "hysteresis: .inf"), f"mine.yaml:{line_of(SQUAT, 'hysteresis')} count.hysteresis: Input should be a finite number, got inf"),
    (SQUAT.replace("hysteresis: 4", "hysteresis: 4\n  far_limit: .nan"), f"mine.yaml:{line_of(SQUAT, 'hysteresis') + 1} count.far_limit: Input should be a finite number, got nan"),
    (SQUAT.replace("    points: [hip, knee, ankle]", "    points: [hip, hip, hip]"),
     f"mine.yaml:{line_of(SQUAT, '    points: [hip, knee, ankle]')} signals.knee.points: the keypoints of a signal must differ, got [hip, hip, hip]"),
    (SQUAT.replace("    points: [hip, knee, ankle]", "    points: [left_hip, hip, knee]"),
     f"mine.yaml:{line_of(SQUAT, '    points: [hip, knee, ankle]')} signals.knee.points: the keypoints of a signal must differ, got [left_hip, hip, knee]"),
], ids=["bomb", "bomb-in-a-definition", "alias-cycle", "deep", "long-int", "nul", "form-feed", "escape", "bad-date",
        "bad-float", "list-key", "merge-key", "inf-range", "inf-hysteresis", "nan-limit", "same-points", "same-point-sided"])
def test_hostile_and_broken_yaml_is_one_problem_at_its_line(text, expected):
    assert problems(text) == [expected]


def test_bad_files_are_refused_unread_and_only_disable_themselves(tmp_path):
    (tmp_path / "good.yaml").write_text(SQUAT.replace("id: squat", "id: my_squat"))
    (tmp_path / "big.yaml").write_text("# padding\n" * 200_000)
    (tmp_path / "latin1.yaml").write_bytes(SQUAT.replace("name: Squat", "name: Squat\xe9").encode("latin-1"))
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo.yaml")  # opening it for reading would wait for a writer forever
    (tmp_path / "folder.yaml").mkdir()
    library = Library(user=tmp_path)
    assert "my_squat" in library.ids() and "push_up" in library.ids()
    assert sorted(map(str, library.problems)) == [
        f"{tmp_path / 'big.yaml'}: over 1 MB: not an exercise definition",
        f"{tmp_path / 'fifo.yaml'}: not a regular file",
        f"{tmp_path / 'folder.yaml'}: not a regular file",
        f"{tmp_path / 'latin1.yaml'}:2: not UTF-8 text (byte 0xe9)",
        f"{tmp_path / 'zero.yaml'}: not a regular file",
    ]


def test_two_user_files_with_one_id_are_reported(tmp_path):
    (tmp_path / "a.yaml").write_text(SQUAT.replace("id: squat", "id: mine").replace("name: Squat", "name: A"))
    (tmp_path / "b.yaml").write_text(SQUAT.replace("id: squat", "id: mine").replace("name: Squat", "name: B"))
    library = Library(user=tmp_path)
    assert library.get("mine").name == "B"
    assert list(map(str, library.problems)) == [
        f"{tmp_path / 'b.yaml'}: id 'mine' is also the id of a.yaml; this file replaces it (rename one)"]
    # A user file replacing a built-in is what the user folder is for: no problem.
    (tmp_path / "squat.yaml").write_text(SQUAT)
    assert len(Library(user=tmp_path).problems) == 1


def test_a_user_folder_that_is_a_file_is_reported(tmp_path):
    (tmp_path / "file").write_text("")
    library = Library(user=tmp_path / "file")
    assert "squat" in library.ids()
    assert list(map(str, library.problems)) == [f"{tmp_path / 'file'}: not a folder: your exercises are not loaded"]


def test_problems_are_records_the_editor_can_mark():
    with pytest.raises(DefinitionError) as caught:
        parse(SQUAT.replace("depth: 0.5", "depth: 2").replace("order: 2", "order: 9"), "mine.yaml")
    assert caught.value.problems == [
        Problem("mine.yaml", line_of(SQUAT, "order: 2"), "smoothing.order", "Input should be less than or equal to 4, got 9"),
        Problem("mine.yaml", line_of(SQUAT, "depth: 0.5"), "count.depth", "Input should be less than or equal to 1, got 2"),
    ]


SAVER = """
import sys, time
from pathlib import Path
from coach.exercise_library import save
folder, go = Path(sys.argv[1]), Path(sys.argv[3])
while not go.exists():
    time.sleep(0.001)
for i in range(40):
    save(folder, "mine", Path(sys.argv[4]).read_text())
print("ok")
"""


def test_four_processes_saving_one_definition_at_once_all_succeed_and_readers_see_whole_files(tmp_path):
    folder, go = tmp_path / "mine", tmp_path / "go"
    texts = []
    for i in range(4):
        text = SQUAT.replace("id: squat", "id: mine").replace("name: Squat", f"name: Saver {i}") + "# " + "x" * 20_000 + "\n"
        (tmp_path / f"text{i}").write_text(text)
        texts.append(text)
    savers = [subprocess.Popen([sys.executable, "-c", SAVER, str(folder), "mine", str(go), str(tmp_path / f"text{i}")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(4)]
    go.touch()
    seen = set()
    while any(saver.poll() is None for saver in savers):
        if (folder / "mine.yaml").exists():
            text = (folder / "mine.yaml").read_text()
            assert text in texts  # never empty, never mixed
            seen.add(text)
    for saver in savers:
        out, err = saver.communicate(timeout=60)
        assert (saver.returncode, out, err) == (0, "ok\n", "")
    assert seen and sorted(path.name for path in folder.iterdir()) == ["mine.yaml"]


def test_saving_never_follows_a_planted_link_and_refuses_clearly(tmp_path):
    folder, outside = tmp_path / "mine", tmp_path / "outside.txt"
    folder.mkdir()
    outside.write_text("keep me")
    for planted in ("mine.yaml.part", ".mine.yaml.part"):
        (folder / planted).symlink_to(outside)
    text = SQUAT.replace("id: squat", "id: mine")
    assert save(folder, "mine", text) == folder / "mine.yaml"
    assert outside.read_text() == "keep me" and (folder / "mine.yaml").read_text() == text
    # The target itself a link: it is replaced by the file, the link's target is untouched.
    (folder / "mine.yaml").unlink()
    (folder / "mine.yaml").symlink_to(outside)
    save(folder, "mine", text)
    assert outside.read_text() == "keep me" and not (folder / "mine.yaml").is_symlink()

    (tmp_path / "a_file").write_text("")
    with pytest.raises(ExerciseError, match=rf"^cannot save mine.yaml: {tmp_path / 'a_file'} is not a folder \(see COACH_EXERCISES_DIR\)$"):
        save(tmp_path / "a_file", "mine", text)
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: a read-only folder is writable")
        with pytest.raises(ExerciseError, match=rf"^cannot save into {folder}: Permission denied$"):
            save(folder, "mine", text)
    finally:
        folder.chmod(0o755)
