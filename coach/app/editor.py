"""The Exercises page: browse the library, edit a definition that is checked as you type, try it
on a clip or a stored session, and save it among the user's definitions.

The editor is a small inline component (a textarea with line numbers) that sends its text to
Python 0.4 s after the last key press, so the schema's `file:line field: problem` errors show
while typing; the lines at fault are marked in its margin and the first is scrolled into view.
The field reference (coach/reference.py, as in docs/exercises.md) sits beside it.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from coach import reference
from coach.analyze import analyze_poses
from coach.app import resources, settings, uploads
from coach.app.held import holds_line
from coach.app.signal_chart import form_charts, rule_table, signal_chart
from coach.app.text import plain
from coach.app.video import analyse_upload, check_upload
from coach.errors import CoachError
from coach.exercise_library import BUILTIN_DIR, safe_file_name, user_dir
from coach.exercise_library import save as save_definition
from coach.exercises import DefinitionError, parse, read

SOURCE = "editor"
TEMPLATE = """\
id: my_exercise
name: My exercise
description: >
  What the person does, and how the camera should see them.
views: [front]

visibility:
  keypoints: [shoulder, elbow, hip]
  min_score: 0.3

signals:
  arms:
    kind: angle
    points: [hip, shoulder, elbow]
    side: both

smoothing:
  filter: butterworth
  cutoff_hz: 3.0
  order: 2

count:
  signal: arms
  start: low
  phases: [down, raising, up, lowering]
  min_range: 40
  rest_s: 10
"""

EDITOR_HTML = """<div class="coach-editor"><pre class="gutter" aria-hidden="true"></pre>
<textarea spellcheck="false" autocomplete="off" aria-label="Exercise definition (YAML)"></textarea></div>"""
EDITOR_CSS = """
/* As tall as the window leaves under the page's title, tabs and pickers and the check above it. */
.coach-editor { --editor-height: clamp(240px, 100vh - 500px, 460px);
  display: flex; border: 1px solid #d0d3d9; border-radius: 0.5rem; overflow: hidden;
  font: 13px/1.5 "Source Code Pro", ui-monospace, monospace; background: #fafafa; }
.gutter { margin: 0; padding: 8px 8px 8px 10px; min-width: 2.5em; text-align: right; color: #9aa0a6;
  background: #f0f2f6; overflow: hidden; user-select: none; height: var(--editor-height); box-sizing: border-box;
  font: inherit; }
.gutter .bad { color: #fff; background: #d93025; border-radius: 3px; padding: 0 3px; }
textarea { flex: 1; border: 0; outline: 0; resize: none; padding: 8px 10px; height: var(--editor-height); box-sizing: border-box;
  font: inherit; background: #fff; color: #262730; white-space: pre; overflow: auto; tab-size: 2; }
"""
EDITOR_JS = """
export default function (component) {
  const { data, setStateValue, parentElement } = component;
  const area = parentElement.querySelector("textarea");
  const gutter = parentElement.querySelector(".gutter");
  if (area.dataset.revision !== String(data.revision)) {  // a new text loaded: then the user owns it
    area.dataset.revision = String(data.revision);
    area.value = data.text;
  }
  const bad = new Set(data.errors || []);
  const paint = () => {
    const lines = area.value.split("\\n").length;
    gutter.innerHTML = Array.from({ length: lines }, (_, i) =>
      bad.has(i + 1) ? `<span class="bad" title="error on this line">${i + 1}</span>` : `${i + 1}`).join("\\n");
    gutter.scrollTop = area.scrollTop;
  };
  paint();
  // When the first marked line changes, bring it into view (it may be far from where one types).
  const first = bad.size ? Math.min(...bad) : 0;
  if (area.dataset.firstError !== String(first)) {
    area.dataset.firstError = String(first);
    const lineHeight = parseFloat(getComputedStyle(area).lineHeight);
    const top = (first - 1) * lineHeight;
    if (first && (top < area.scrollTop || top + lineHeight > area.scrollTop + area.clientHeight)) {
      area.scrollTop = Math.max(0, top - area.clientHeight / 3);
      gutter.scrollTop = area.scrollTop;
    }
  }
  area.oninput = () => {
    paint();
    clearTimeout(area.pending);
    const revision = data.revision;
    area.pending = setTimeout(() => setStateValue("text", { revision, value: area.value }), 400);
  };
  area.onscroll = () => { gutter.scrollTop = area.scrollTop; };
  area.onkeydown = (event) => {
    if (event.key === "Tab" && !event.shiftKey) {  // indent instead of leaving the editor
      event.preventDefault();
      area.setRangeText("  ", area.selectionStart, area.selectionEnd, "end");
      area.oninput();
    }
  };
}
"""


@st.cache_resource
def editor_component():
    return st.components.v2.component("coach.yaml_editor", html=EDITOR_HTML, css=EDITOR_CSS, js=EDITOR_JS)


def page():
    st.title("Exercises")
    lib = resources.library()
    # Tabs, so that the editor and its check start near the top of the window: below the
    # library, a check's error was below the fold at 1400x900.
    library, editor = st.tabs(["Library", "Editor"])
    with library:
        browse(lib)
    with editor:
        edit(lib)


def browse(lib):
    st.subheader("Library")
    rows = []
    for exercise_id in lib.ids():
        exercise = lib.exercises[exercise_id]
        where = lib.sources[exercise_id]
        origin = "built-in" if where.parent.resolve() == Path(BUILTIN_DIR).resolve() else (
            "yours (replaces the built-in)" if (Path(BUILTIN_DIR) / where.name).exists() else "yours")
        rows.append({"id": exercise_id, "name": exercise.name, "views": ", ".join(exercise.views),
                     "counts on": f"{exercise.drive_name} ({exercise.drive.kind})", "from": origin})
    st.dataframe(rows, hide_index=True, width="stretch", key="library-table")
    shown = st.selectbox("Show", lib.ids(), format_func=lambda i: lib.exercises[i].name, key="library-show")
    exercise = lib.exercises[shown]
    st.markdown(plain(exercise.description or ""))
    with st.expander(f"{plain(shown)}.yaml", expanded=False):
        st.code(read(lib.sources[shown]), language="yaml", line_numbers=True)


def load_into_editor(text: str):
    """Start the editor afresh on `text`: a new revision, which the editor fills itself with."""
    st.session_state["editor-revision"] = st.session_state.get("editor-revision", 0) + 1
    st.session_state["editor-start"] = text


def edit(lib):
    st.subheader("Editor")
    start, load = st.columns([3, 1], vertical_alignment="bottom")
    # A user file that does not load is offered too, so that it can be fixed here.
    broken = sorted({problem.file for problem in lib.problems if Path(problem.file).parent == user_dir()})
    choices = ["(a new exercise)", *lib.ids(), *broken]
    base = start.selectbox("Start from", choices, key="editor-base", format_func=lambda i: i if i.startswith("(") else (
        f"a copy of {lib.exercises[i].name}" if i in lib.exercises else f"{Path(i).name} (not loaded: fix it)"))
    if load.button("Load into the editor", key="editor-load"):
        try:
            load_into_editor(TEMPLATE if base.startswith("(") else lib.definition(base) if base in lib.exercises
                             else read(base, lossy=True))
        except CoachError as error:
            st.error(plain(error))
    revision = st.session_state.get("editor-revision", 0)
    initial = st.session_state.get("editor-start", TEMPLATE)
    lines = st.session_state.get("editor-marked", [])  # the lines at fault at the last check
    text_side, help_side = st.columns([3, 2])
    with text_side:
        verdict = st.empty()  # the check's result, above the text: in view while one types
        result = editor_component()(key="yaml-editor", data={"text": initial, "errors": lines, "revision": revision},
                                    on_text_change=lambda: None, height="content")
    with help_side, st.expander("Field reference", expanded=True), st.container(height=420, key="field-reference"):
        # The same text as docs/exercises.md, from coach/reference.py: it cannot drift.
        st.markdown(reference.bullets())
    # The editor's text, unless it is from before the last load (then the loaded text).
    typed = result.text if result is not None else None
    text = typed["value"] if isinstance(typed, dict) and typed.get("revision") == revision else initial
    exercise, problems = check(text)
    marked = sorted({problem.line or 1 for problem in problems})
    if marked != lines:
        # The margin marks come from the last check: redraw it with this one's.
        st.session_state["editor-marked"] = marked
        st.rerun()
    if problems:
        verdict.error("\n".join(f"- {plain(problem)}" for problem in problems), icon=":material/error:")
        return
    verdict.success(f"Valid: {plain(exercise.name)} ({plain(exercise.id)}), counted on {plain(exercise.drive_name)}.",
                    icon=":material/check_circle:")
    try_out(exercise)
    save(lib, exercise, text)


def check(text: str):
    """(exercise, []) for a valid definition, else (None, [Problem, ...])."""
    try:
        return parse(text, SOURCE), []
    except DefinitionError as error:
        return None, error.problems


def try_out(exercise):
    with st.expander("Try it", expanded=False):
        where = st.radio("On", ["a stored session", "a video"], horizontal=True, key="editor-try-on")
        if where == "a video":
            upload = st.file_uploader("A short clip", type=list(settings.VIDEO_TYPES),
                                      max_upload_size=settings.max_upload_mb(), key="editor-try-upload")
            uploads.keep_only(upload)
            if upload is None or not st.button("Count it", key="editor-try-video"):
                return
            check_upload(upload.name, upload.size, settings.VIDEO_TYPES, settings.max_upload_mb())
            analysis, _ = analyse_upload(upload, exercise, resources.model(settings.video_model()))
            label = upload.name
        else:
            db = resources.store()
            sessions = db.sessions()
            if sessions.empty:
                st.info("No stored sessions yet.")
                return
            names = {int(r["id"]): f"#{r['id']} {r['exercise']} ({r['reps']} reps, {r['person']})"
                     for _, r in sessions.iterrows()}
            chosen = st.selectbox("Session", list(names), format_func=names.get, key="editor-try-session")
            if not st.button("Count it", key="editor-try-stored"):
                return
            analysis = analyze_poses(exercise, db.poses(chosen))
            label = f"session {chosen} (stored count {int(sessions.set_index('id').loc[chosen, 'reps'])})"
        st.metric(*(("Reps with this definition", analysis.count) if exercise.hold is None else
                    ("Held with this definition", holds_line(analysis.holds))))
        for warning in analysis.warnings:
            st.warning(plain(warning))
        st.caption(plain(label))
        if analysis.results:
            st.altair_chart(signal_chart(analysis.results, exercise), width="stretch")
            form = form_charts(analysis.results, exercise)
            if form:
                st.caption("Form rules: thresholds, and the reps that broke them (red)")
                for chart in form:
                    st.altair_chart(chart, width="stretch")
                st.dataframe(rule_table([r.rep for r in analysis.results if r.rep is not None], exercise),
                             hide_index=True, key="editor-try-rules")


def save(lib, exercise, text: str):
    folder = user_dir()
    try:
        name = safe_file_name(exercise.id)
    except CoachError as error:
        st.error(plain(error))
        return
    target = folder / name
    notes = []
    if target.exists():
        notes.append(f"replaces your {name}")
    elif exercise.id in lib.exercises:
        notes.append(f"overrides the built-in {exercise.id}")
    replace = st.checkbox(plain(f"Yes, this {' and '.join(notes)}"), key="editor-replace") if notes else True
    st.caption(plain(f"Saved as {folder / name}"))
    if st.button("Save to my exercises", type="primary", disabled=not replace, key="editor-save"):
        try:
            save_definition(folder, exercise.id, text)
        except CoachError as error:
            st.error(plain(error))
            return
        st.session_state["editor-saved"] = exercise.id
        st.rerun()
    saved = st.session_state.pop("editor-saved", None)
    if saved:
        st.success(f"Saved {plain(saved)}: it is in the library above and on the Workout and Analyse pages.")
