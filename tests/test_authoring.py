"""Writing a definition by hand: a misspelt field gets "did you mean", a YAML slip is worded plainly
at the line it is on (CLI, library and editor alike), and the default hysteresis keeps the phases
from flickering on a jittery signal without losing a shallow rep."""

import numpy as np
import pytest
from support import reps_signal
from test_counting import count, squat
from test_exercises import SQUAT, line_of

from coach.cli import main
from coach.exercise_library import Library
from coach.exercises import HYSTERESIS_SHARE, DefinitionError, parse


def only_problem(text: str):
    with pytest.raises(DefinitionError) as caught:
        parse(text, "mine.yaml")
    [problem] = caught.value.problems
    return problem


@pytest.mark.parametrize("old, new, field, message", [
    ("  min_rep_s: 0.5", "  min_rep: 0.5", "count.min_rep", "unknown field; did you mean `min_rep_s`?"),
    ("  rest_s: 10", "  rest: 10", "count.rest", "unknown field; did you mean `rest_s`?"),
    ("    cue: Go deeper", "    cue: Go deeper\n    cooldwn_s: 8", "form.0.cooldwn_s", "unknown field; did you mean `cooldown_s`?"),
    ("  order: 2", "  ordr: 2", "smoothing.ordr", "unknown field; did you mean `order`?"),
    ("    kind: inclination", "    kind: inclination\n    sides: both", "signals.torso_lean.sides", "unknown field; did you mean `side`?"),
    ("  min_score: 0.3", "  min_scor: 0.3", "visibility.min_scor", "unknown field; did you mean `min_score`?"),
    ("description:", "descripton:", "descripton", "unknown field; did you mean `description`?"),
    ("    cue: Go deeper", "    cue: Go deeper\npraise:\n  txt: Good", "praise.txt", "unknown field; did you mean `text`?"),
    ("  order: 2", "  order: 2\n  colour: red", "smoothing.colour", "unknown field (the fields here: filter, cutoff_hz, order, rate_hz)"),
], ids=["count", "count-unit", "form-rule", "filter", "signal", "visibility", "top", "praise", "nothing-close"])
def test_an_unknown_field_suggests_the_closest_field_allowed_there(old, new, field, message):
    text = SQUAT.replace(old, new, 1)
    assert text != SQUAT
    problems = parse_problems(text)
    wrong = new.strip().splitlines()[-1]
    assert f"mine.yaml:{line_of(text, wrong)} {field}: {message}" in problems


def parse_problems(text: str) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse(text, "mine.yaml")
    return [str(problem) for problem in caught.value.problems]


def test_the_cli_and_the_library_say_did_you_mean_too(tmp_path, capsys):
    path = tmp_path / "squat.yaml"
    path.write_text(SQUAT.replace("  hysteresis: 4", "  hysterisis: 4"), encoding="utf-8")
    line = line_of(SQUAT, "hysteresis: 4")
    assert main(["exercises", "validate", str(path)]) == 1
    assert capsys.readouterr().err == f"{path}:{line} count.hysterisis: unknown field; did you mean `hysteresis`?\n"
    [problem] = Library(user=tmp_path).problems
    assert (problem.line, problem.field, problem.message) == (line, "count.hysterisis", "unknown field; did you mean `hysteresis`?")


# (the broken text, the text of the line at fault, what is said): each slip as a person makes it.
SLIPS = [
    (SQUAT.replace("  start: high", "  start high"), "  start high", "no `:` after the field name (write `name: value`)"),
    (SQUAT.replace("name: Squat", "name Squat"), "name Squat", "no `:` after the field name (write `name: value`)"),
    (SQUAT.replace("    cue: Go deeper", "    cue Go deeper"), "    cue Go deeper", "no `:` after the field name (write `name: value`)"),
    (SQUAT.replace("  order: 2", "  order:2"), "  order:2", "no space after the `:` (write `name: value`)"),
    (SQUAT.replace("  min_range: 30", "\tmin_range: 30"), "\tmin_range: 30", "a tab; indent with spaces"),
    (SQUAT.replace("  min_range: 30", "  min_range:\t30"), "  min_range:\t30", "a tab; separate with spaces"),
    (SQUAT.replace("  depth: 0.5", "    depth: 0.5"), "    depth: 0.5", "this line is indented differently from the lines above it"),
    (SQUAT.replace("    kind: angle\n    points: [hip, knee, ankle]", "    kind: angle\n   points: [hip, knee, ankle]"),
     "   points: [hip, knee, ankle]", "this line is indented differently from the lines above it"),
    (SQUAT.replace("    phase: bottom", "  phase: bottom"), "  phase: bottom", "this line is indented differently from the lines above it"),
    (SQUAT.replace("views: [side, front]", "views: [side, front"), "views: [side, front", "an opening [ is never closed"),
    (SQUAT + "metrics:\n  - {signal: knee, stat: min\n", "  - {signal: knee, stat: min", "an opening { is never closed"),
    (SQUAT.replace("views: [side, front]", "views: [side, front}"), "views: [side, front}", "an opening [ is not closed before '}'"),
    (SQUAT.replace("views: [side, front]", "views: [side, front]]"), "views: [side, front]]", "a closing ] that no opening [ matches"),
    (SQUAT.replace("name: Squat", 'name: "Squat'), 'name: "Squat', 'an opening " is never closed'),
    (SQUAT.replace("    cue: Go deeper", "    cue: 'Go deeper"), "    cue: 'Go deeper", "an opening ' is never closed"),
    (SQUAT.replace("name: Squat", "name: Squat: deep"), "name: Squat: deep", "a second `: ` on this line; put a value that has `: ` in quotes"),
    (SQUAT.replace("name: Squat", 'name: "Squat" deep'), 'name: "Squat" deep', "text after the value on this line; put the whole value in quotes"),
    (SQUAT.replace("name: Squat", "- Squat"), "- Squat", "a list item (`- `) where a `name: value` line was expected"),
    (SQUAT.replace("name: Squat", 'name: "Squat\\q"'), 'name: "Squat\\q"',
     "`\\q` is not an escape in \"double quotes\"; use 'single quotes' for a backslash"),
    (SQUAT + "---\nid: lunge\n", "---", "a second document (`---`): a definition is one document"),
]


@pytest.mark.parametrize("text, wrong, message", SLIPS, ids=[
    "no-colon", "no-colon-top", "no-colon-in-list", "no-space", "tab-indent", "tab-inside", "indent-more", "indent-less",
    "list-item-indent", "unclosed-list", "unclosed-mapping", "list-closed-by-brace", "extra-bracket", "unclosed-double-quote",
    "unclosed-single-quote", "colon-in-value", "text-after-quote", "stray-dash", "bad-escape", "two-documents"])
def test_a_yaml_slip_is_worded_plainly_at_its_line(text, wrong, message):
    """One Problem on the line at fault (the editor marks it), not PyYAML's "mapping values are not
    allowed here" on the line after."""
    problem = only_problem(text)
    assert (problem.line, problem.field, problem.message) == (text.splitlines().index(wrong) + 1, "", message)


def test_the_cli_words_a_yaml_slip_with_the_file_and_line(tmp_path, capsys):
    path = tmp_path / "mine.yaml"
    path.write_text(SQUAT.replace("  start: high", "  start high"), encoding="utf-8")
    assert main(["exercises", "validate", str(path)]) == 1
    assert capsys.readouterr().err == f"{path}:{line_of(SQUAT, 'start: high')}: no `:` after the field name (write `name: value`)\n"


def phase_changes(out) -> int:
    names = [o.phase for o in out]
    return sum(a != b for a, b in zip(names, names[1:]))


def test_the_default_hysteresis_stops_phase_flicker_and_keeps_shallow_reps():
    """Five squats with half a degree of frame-to-frame jitter: with no hysteresis the phase flips
    back and forth at each turn (about twice the changes; form rules are judged as phases end, so
    on fragments), with the default (a tenth of min_range, 3 deg) it goes round exactly once per
    rep; and a rep only just over min_range still counts with it."""
    default, none = squat(hysteresis=None), squat(hysteresis=0)
    assert default.count.hysteresis == pytest.approx(HYSTERESIS_SHARE * 30)
    rng = np.random.default_rng(1)
    t, v = reps_signal(5)
    jittery = v + rng.normal(0, 0.5, len(t))
    counter, out = count(default, t, jittery)
    assert counter.reps == 5 and phase_changes(out) == 4 * 5
    counter, out = count(none, t, jittery)
    assert counter.reps == 5 and phase_changes(out) > 1.5 * 4 * 5
    t, shallow = reps_signal(5, top=170, bottom=134)  # 36-degree squats: min_range is 30
    assert count(default, t, shallow + rng.normal(0, 0.5, len(t)))[0].reps == 5


def test_try_it_lists_the_rules_each_rep_broke(repcount_dir):
    """Under the form chart, a table rep -> rules broken, as the CLI's rep lines say `form: shallow`:
    a squat made strict (knee under 75 deg at the bottom) on a real RepCount series."""
    from coach.app.signal_chart import rule_table
    from coach.exercise_library import BUILTIN_DIR
    from coach.keypoints import KeypointSeries
    from coach.session import Session

    strict = parse((BUILTIN_DIR / "squat.yaml").read_text().replace("above: 110", "above: 75"))
    yxs = np.load(repcount_dir / "stu9_64.npy")
    session = Session(strict)
    results = [session.step(pose, t) for pose, t in KeypointSeries.from_movenet(yxs, np.arange(len(yxs)) / 30).poses()]
    reps = [r.rep for r in results if r.rep is not None]
    table = rule_table(reps, strict)
    assert list(table["rep"]) == [rep.index for rep in reps] and len(reps) > 10
    assert set(table["rules broken"]) == {"shallow"}
    lenient = strict.model_copy(update={"form": []})
    assert set(rule_table(reps, lenient)["rules broken"]) == {"none"}
