"""The field reference: every field of the schema explained once, docs/exercises.md in step with
it, `coach exercises show --comments`, and the worked example of the docs counting a real clip."""

import json
import re

import pytest

from coach import exercises as schema
from coach import reference
from coach.cli import main
from coach.exercise_library import BUILTIN_DIR, Library
from coach.exercises import parse


def test_every_field_of_every_model_has_a_text_and_every_text_a_field():
    """A field added to (or renamed in) the schema fails here until coach/reference.py explains it."""
    walked = {model.__name__: set(model.model_fields) for model in reference.models()}
    assert walked == {name: set(texts) for name, texts in reference.FIELDS.items()}
    assert {model for _, model in reference.SECTIONS} == set(reference.models())


def test_the_docs_hold_the_reference_as_generated():
    text = reference.DOC.read_text(encoding="utf-8")
    begin, end = text.index(reference.BEGIN), text.index(reference.END) + len(reference.END)
    assert text[begin:end] == reference.markdown(), "run `python -m coach.reference --write`"


def test_defaults_and_ranges_come_from_the_schema():
    assert reference.field_help(schema.Counting, "depth").endswith("(default `0.5`; over 0, at most 1)")
    assert reference.allowed(schema.Counting.model_fields["min_range"]) == "required; over 0"
    assert reference.allowed(schema.Counting.model_fields["far_limit"]) == "optional"
    assert reference.allowed(schema.Exercise.model_fields["smoothing"]) == "default `butterworth`"
    # Left out, hysteresis is a share of min_range (the schema fills it in), and the text says so.
    assert schema.Counting.model_fields["hysteresis"].default is None
    assert "left out, a tenth of `min_range`" in reference.field_help(schema.Counting, "hysteresis")


def test_show_comments_explains_each_field_once_and_stays_the_same_definition(capsys):
    assert main(["exercises", "show", "squat", "--comments"]) == 0
    out = capsys.readouterr().out
    assert "  # depth: Fraction (0 to 1) of the recent reps' range" in out
    assert "    # kind: angle [a, b, c]: the angle at b in degrees" in out
    assert "  # cue: What to say or show when it fires" in out  # a list item's key, at its dash
    assert out.count("# cue:") == 1  # the second rule is not explained again
    assert parse(out, "commented") == Library().get("squat")
    for path in BUILTIN_DIR.glob("*.yaml"):  # every built-in: every key it uses gets a comment
        exercise = Library().get(path.stem)
        commented = reference.commented(path.read_text(encoding="utf-8"), exercise)
        assert parse(commented, path.name) == exercise
        used = set(re.findall(r"^\s*-?\s*([a-z_]+):", path.read_text(encoding="utf-8"), re.M)) - set(exercise.signals)
        assert used <= set(re.findall(r"# ([a-z_]+): ", commented)), path.name


def doc_example() -> str:
    text = reference.DOC.read_text(encoding="utf-8")
    return re.search(r"```yaml\n(id: side_lateral_raise\n.*?)```", text, re.S)[1]


def test_the_worked_example_counts_the_eleven_jumping_jacks_it_says(clips_dir, tmp_path, capsys):
    """The docs' lateral raise, as a user would copy it, on the clip the docs try it on."""
    path = tmp_path / "side_lateral_raise.yaml"
    path.write_text(doc_example(), encoding="utf-8")
    assert main(["exercises", "validate", str(path)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(clips_dir / "jumping_jacks_11.mp4"), "--exercise", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["reps"] == 11
    assert "11 side lateral raise reps" in reference.DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("path, model", [(("count", "depth"), schema.Counting), (("form", 1, "cue"), schema.FormRule),
                                         (("signals", "knee", "side"), schema.Signal),
                                         (("smoothing", "cutoff_hz"), schema.Butterworth), (("id",), schema.Exercise)])
def test_a_yaml_path_finds_its_model(path, model):
    assert reference.model_at(Library().get("squat"), path) == (model, path[-1])
