"""The Analyse page: upload a video, count an exercise in it, look at the result, save it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from coach.app import resources, settings, uploads
from coach.app.held import holds_line
from coach.app.reps import show_reps
from coach.app.signal_chart import signal_chart
from coach.app.text import plain
from coach.app.video import analyse_upload, check_upload
from coach.recognise import ANY, recognise_file
from coach.store import record
from coach.words import plural

MODELS = {"lightning": "Lightning (fast, the default)", "thunder": "Thunder (slower, more precise)",
          "lightning-int8": "Lightning int8 (fastest)"}


def page():
    st.title("Analyse a video")
    db = resources.store()
    lib = resources.library()
    max_mb = settings.max_upload_mb()
    left, middle, right = st.columns(3)
    with left:
        person = resources.pick_person(db, "analyse")
    with middle:
        exercise_id = resources.pick_exercise(lib, "analyse", default="squat", any_exercise=True)
    with right:
        default = settings.video_model()
        names = list(MODELS) if default in MODELS else [default, *MODELS]
        model_name = st.selectbox("Pose model", names, index=names.index(default),
                                  format_func=lambda n: MODELS.get(n, n), key="analyse-model")
    upload = st.file_uploader(f"A video of the exercise ({', '.join(settings.VIDEO_TYPES)}; at most {max_mb} MB)",
                              type=list(settings.VIDEO_TYPES), max_upload_size=max_mb, key="analyse-upload")
    uploads.keep_only(upload)  # a replaced video, or what no widget asked for, leaves memory
    if upload is None:
        st.info("Upload a video filmed as the exercise asks (the whole body in view), then press Analyse.")
        return
    check_upload(upload.name, upload.size, settings.VIDEO_TYPES, max_mb)
    exercise = lib.get(exercise_id) if exercise_id != ANY else None  # None: recognised from the movement
    key = (upload.file_id, exercise_id, model_name, exercise.model_dump_json() if exercise else None)
    done = st.session_state.get("analysis")
    if st.button("Analyse", type="primary", key="analyse-run"):
        done = run(upload, exercise, model_name, lib)
        done["key"] = key
        st.session_state["analysis"] = done
    if done is None or done["key"] != key:
        what = f"{plain(exercise.name.lower())} reps" if exercise else "the reps of the exercise it recognises"
        st.caption(f"{plain(upload.name)}, {upload.size / 1024 / 1024:.1f} MB: press Analyse to count {what}.")
        return
    if done["analysis"] is None:
        st.warning(f"{plain(done['name'])}: no exercise of the library was recognised. Pick the exercise, "
                   "or Repeated movement to count any movement.")
        return
    show(done, db, person)


def run(upload, exercise, model_name: str, lib) -> dict:
    """The upload counted with `exercise`, or with None with the exercise recognised in it
    (coach.recognise), then counted from its start with that."""
    model = resources.model(model_name)
    recognised_t = None
    if exercise is None:
        with st.spinner("Recognising the exercise..."):
            exercise, recognised_t = recognise_upload(upload, lib, model)
        if exercise is None:
            return {"name": upload.name, "analysis": None}
    analysis, video = analyse_upload(upload, exercise, model, annotate=True)
    return {"name": upload.name, "analysis": analysis, "video": video, "reps": analysis.reps_table(),
            "summary": analysis.session_table(), "saved": None, "definition": lib.definition(exercise.id),
            "recognised_t": recognised_t}


def recognise_upload(upload, lib, model):
    """(the exercise recognised in an uploaded video, when), or (None, None)."""
    with tempfile.TemporaryDirectory(prefix="coach-upload-") as folder:
        path = Path(folder) / f"upload{Path(upload.name).suffix.lower()}"
        path.write_bytes(upload.getbuffer())
        return recognise_file(path, lib, model)


def show(done: dict, db, person: str):
    analysis = done["analysis"]
    exercise = analysis.exercise
    summary = done["summary"].iloc[0]
    what = (plural(analysis.count, f"{exercise.name.lower()} rep") if exercise.hold is None
            else f"{exercise.name.lower()} {holds_line(analysis.holds)}")  # a hold: its time held per set
    recognised = (f" (recognised as {exercise.name.lower()} at {done['recognised_t']:.1f} s)"
                  if done.get("recognised_t") is not None else "")
    st.success(f"{plain(done['name'])}: {plain(what)} in {plural(analysis.sets, 'set')}, "
               f"{summary['duration_s']:.1f} s{plain(recognised)}.")
    for warning in analysis.warnings:
        st.warning(plain(warning))
    reps, sets, duration, tempo = st.columns(4)
    reps.metric(*(("Reps", analysis.count) if exercise.hold is None else
                  ("Longest hold", f"{max((h.held_s for h in analysis.holds), default=0):.1f} s")))
    sets.metric("Sets", analysis.sets)
    duration.metric("Duration", f"{summary['duration_s']:.1f} s")
    tempo.metric("Time per rep", f"{summary['mean_tempo_s']:.2f} s" if analysis.count else "-")
    video, chart = st.columns([1, 1])
    with video:
        st.video(done["video"], format="video/mp4")
    with chart:
        st.altair_chart(signal_chart(analysis.results, exercise), width="stretch")
    st.subheader("Reps")
    show_reps(done["reps"], exercise)
    if done["saved"] is not None:
        st.success(f"Saved to the history as session {done['saved']} for {plain(person)}.")
    elif st.button("Save to history", key="analyse-save"):
        done["saved"] = record(db, analysis.results, exercise.id, person, source=done["name"],
                               fps=analysis.fps, definition=done["definition"], view=analysis.view)
        st.rerun()
