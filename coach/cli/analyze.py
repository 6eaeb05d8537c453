"""`coach analyze`: count and coach an exercise in videos or keypoint files.

    coach analyze INPUT... --exercise ID [--model NAME] [--fps N] [--json] [--out annotated.mp4] [--tables DIR]

A video goes through MoveNet with crop tracking; a keypoint file (.npy, float32 [frames, 17, 3]
of MoveNet's (y, x, score) as `coach pose --keypoints-out` writes it) skips the model. Either
way every frame goes through the same `coach.pipeline.Pipeline` as the live camera.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from coach.cli import exercises, history
from coach.errors import InputError
from coach.words import plural

if TYPE_CHECKING:
    from coach.analysis import Analysis
    from coach.exercises import Exercise

log = logging.getLogger(__name__)

# Lightning fp16 counts every shared clip right and runs at about 4.6 ms a frame here; see
# benchmarks/repcount.py and tests/test_analyze.py.
DEFAULT_MODEL = "lightning"
# `--exercise any`: recognise the exercise from the movement.
ANY = "any"


def add_parser(sub):
    parser = sub.add_parser("analyze", help="count and coach the reps of an exercise in videos or keypoint files")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="a video, or a keypoint file .npy [frames, 17, 3] of (y, x, score)")
    parser.add_argument("--exercise", required=True, help="exercise id (see `coach exercises list`) or a definition .yaml; "
                                                          "any: recognise which exercise of the library it is from the movement; "
                                                          "with --people all, several separated by commas (e.g. squat,jumping_jack): "
                                                          "each person is counted in the one they do most reps of")
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"pose model for videos (default: {DEFAULT_MODEL})")
    parser.add_argument("--fps", type=float, help="frame rate of a keypoint file with no .times.npy beside it "
                                                  "(for a video: retime its frames to this rate)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per input, one per line")
    parser.add_argument("--out", help="write the overlay video (.mp4 or .gif): skeleton, count, phase and cue")
    parser.add_argument("--tables", help="write the per-frame, per-rep and per-session tables as CSV into this folder")
    parser.add_argument("--people", choices=["one", "all"], default="one",
                        help="one: count the exerciser only (default); all: count each person in set-up "
                             "separately (MultiPose; JSON adds a `people` list)")
    history.add_save_options(parser)  # --save [--person NAME] [--db PATH_OR_URL]
    parser.set_defaults(run=run)


def run(args) -> int:
    from coach.exercise_library import Library

    library = Library()
    exercises.warn_problems(library)
    names = [name.strip() for name in args.exercise.split(",")]
    if ANY in names and (len(names) > 1 or args.people == "all"):
        raise InputError(f"--exercise {ANY} recognises one person's exercise: it takes no other exercise and no --people all")
    if len(names) > 1 and args.people != "all":
        raise InputError(f"--exercise {args.exercise}: several exercises need --people all (one each person)")
    exercise, *others = [library.get(name) for name in names] if names != [ANY] else [None]
    from coach.keypoints import MAX_FPS

    if args.fps is not None and not (0 < args.fps <= MAX_FPS):
        raise InputError(f"--fps must be between 0 and {MAX_FPS:g}, got {args.fps:g}")
    if args.out:
        from coach.render import check_video_out

        check_video_out(args.out)  # before any input is analysed
    store = history.save_store(args) if args.save else None
    try:
        analyze_each(args, library, names, exercise, others, store)
    finally:
        if store is not None:
            store.close()
    return 0


def analyze_each(args, library, names: list[str], exercise: Exercise | None, others: list[Exercise], store) -> None:
    """Each input in turn: counted (with --exercise any, with the exercise recognised in it),
    reported, and with --save stored in `store` as it is counted."""
    from coach.sources import check_exists

    model = None
    for path in args.inputs:
        path = check_exists(path)
        if names == [ANY]:
            if path.suffix.lower() != ".npy" and model is None:
                from coach.pose import load_model

                model = load_model(args.model)
            from coach.recognise import recognise_file

            exercise, decided_t = recognise_file(path, library, model, args.fps)
            if exercise is None:
                log.warning("%s: no exercise of the library was recognised: name one with --exercise, "
                            "or count any repeated movement with --exercise auto", path)
                continue
            if not args.json:
                print(f"{path.name}: recognised {exercise.name.lower()} at {decided_t:.1f} s")
        definition = library.definition(exercise.id) if store is not None else None
        sinks = []  # the recorder that stores this input with --save

        def recorder(analysis):
            sinks.append(history.recorder(args, store, exercise, definition, analysis))
            return sinks[-1]

        record = recorder if store is not None else None
        if path.suffix.lower() == ".npy":
            from coach.analyze import analyze_keypoints

            analysis, people = analyze_keypoints(path, exercise, args.fps, record), {}
        else:
            if args.out and len(args.inputs) > 1:
                out = Path(args.out).with_name(f"{Path(args.out).stem}_{path.stem}{Path(args.out).suffix}")
            else:
                out = args.out
            several = args.people == "all" or args.model == "multipose"
            if model is None:
                from coach.pose import load_model
                from coach.pose.multipose import MultiPoseModel

                model = MultiPoseModel() if several else load_model(args.model)
            analysis, people = analyze_video_with_bar(path, exercise, model, args.fps, out, several, others,
                                                      None if several else record)
        for warning in analysis.warnings:
            log.warning("%s: %s", path, warning)
        if args.tables:
            write_tables(analysis, Path(args.tables), path.stem)
        report(analysis, path, args.json, people if args.people == "all" else None)
        if store is not None:
            history.save(args, store, analysis, exercise, definition, sinks[0] if sinks else None)


def analyze_video_with_bar(path: Path, exercise: Exercise, model, fps, out, several=False, others=(), record=None):
    """(the exerciser's Analysis, {person id: Analysis}); the dict is empty for one person."""
    from tqdm import tqdm

    from coach.analyze import analyze_video  # scipy loads only when something is analysed
    from coach.people_video import analyze_people

    # On a terminal only (tqdm's disable=None): pipes and logs stay clean.
    with tqdm(unit="frame", desc=path.name, disable=None, leave=False) as bar:
        def advance(done, total):
            bar.total = total or None
            bar.update(done - bar.n)
        if several:
            return analyze_people(path, exercise, model, fps, out=out, on_progress=advance, others=others)
        return analyze_video(path, exercise, model, fps, out=out, on_progress=advance, record=record), {}


def write_tables(analysis: Analysis, folder: Path, stem: str):
    folder.mkdir(parents=True, exist_ok=True)
    frames, reps, summary = analysis.tables()
    for name, table in (("frames", frames), ("reps", reps), ("session", summary)):
        table.to_csv(folder / f"{stem}_{name}.csv", index=False)


def report(analysis: Analysis, path: Path, as_json: bool, people: dict[int, Analysis] | None = None):
    summary = analysis.summary()
    if people is not None:
        summary["people"] = [{"id": person_id, **person.summary()} for person_id, person in people.items()]
    if as_json:
        print(json.dumps({"input": str(path), **summary}, allow_nan=False))
        return
    reps, sets = summary["reps"], summary["sets"]
    what = f"{plural(reps, analysis.exercise.name.lower() + ' rep')} in " if analysis.exercise.count else \
        f"{analysis.exercise.name.lower()}: "
    print(f"{path.name}: {what}{plural(sets, 'set')}, {summary['duration_s']:.1f} s")
    for person in summary.get("people", []):
        print(f"  person #{person['id']}: {plural(person['reps'], person['exercise'] + ' rep')}")
    for hold in summary.get("holds", []):  # a hold exercise: the time held per set
        print(f"  set {hold['set']}: held {hold['held_s']:.1f} s of {hold['target_s']:g} s "
              f"({hold['start_t']:.1f}-{hold['end_t']:.1f} s)")
    count = analysis.exercise.count
    _, going, far, back = count.phases if count is not None else ("",) * 4  # a hold has no reps to detail
    unit = analysis.exercise.drive.unit
    span = "{:.0f} to {:.0f} " + unit if unit == "degrees" else "{:.2f} to {:.2f} " + unit
    for rep in summary["reps_detail"]:
        flags = f"; form: {', '.join(rep['flags'])}" if rep["flags"] else ""
        print(f"  rep {rep['rep']}: {count.signal} {span.format(rep['rom_min'], rep['rom_max'])}, {rep['time_down']:.1f} s {going}, "
              f"{rep['time_bottom']:.1f} s {far}, {rep['time_up']:.1f} s {back}{flags}")
    for warning in summary["warnings"]:
        print(f"  warning: {warning}")


