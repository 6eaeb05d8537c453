"""The Workout page: the browser camera through streamlit-webrtc, counted live.

The camera's frames go to a LiveWorker (coach.app.worker) whose analyser is a Workout
(coach.app.workout, a coach.pipeline.Pipeline with the history recorder); this page only wires widgets to them and polls their results. One camera
stream is one workout: it is saved when the person presses End workout or stops the camera, and
every rep is in the history the moment it is counted.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from coach.app import any_exercise, live_notes, pages, resources, routine_view, rtc, settings, speech
from coach.app.held import holds_line
from coach.app.overlay import draw_live
from coach.app.text import plain
from coach.app.worker import LiveWorker
from coach.app.workout import COUNTDOWN_S, Workout
from coach.app.workout_summary import summarise, table
from coach.errors import StoreError
from coach.palette import MESSAGE_COLOURS, css_colour, message_colour
from coach.people_render import draw_people, person_label
from coach.pipeline import LOW_FPS, WRONG_VIEW
from coach.pose.multipose import MultiPoseModel
from coach.recognise import ANY
from coach.words import short_unit

STREAM_KEY = "workout-camera"
POLL_S = 0.25
PAGE_GONE_S = 3.0


@dataclass
class LiveSession:
    """The workout armed for the next camera stream, with its worker."""

    exercise: str
    person: str
    workout: Workout  # or a RoutineWorkout
    worker: LiveWorker
    announcer: speech.Announcer
    page_id: str | None = None  # the Streamlit session of the page that armed it
    ending: bool = False  # End workout was pressed
    routine: str | None = None  # the id of the routine it follows (a RoutineWorkout), if any
    everyone: bool = False  # everyone in view is counted (the workout's pipeline is a coach.people.Crowd)

    @property
    def started(self) -> bool:
        return self.worker.received > 0

    def on_ended(self):
        """The stream ended (STOP, tab closed, page left): from streamlit-webrtc's thread; the
        worker finishes the frame it has and then closes the workout (its on_stopped)."""
        self.worker.stop(timeout=0)

    def end(self) -> int | None:
        self.ending = True
        self.worker.stop(timeout=15)
        return self.workout.finish()

    def finish(self):
        """The worker's on_stopped: End workout or STOP on an open page is 'complete'; a closed
        tab 'interrupted', as the README says. The camera's connection ends a moment before the
        page's (within a second, seen in Chromium), so the page gets PAGE_GONE_S to go."""
        status = "complete"
        deadline = time.monotonic() + PAGE_GONE_S
        while self.started and not self.ending:
            if not page_open(self.page_id):
                status = "interrupted"
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.workout.finish(status)


def page_open(page_id: str | None) -> bool:
    """Whether the browser tab of this Streamlit session is still connected."""
    from streamlit import runtime

    return page_id is None or not runtime.exists() or runtime.get_instance().is_active_session(page_id)


def arm(model, lib, db, exercise: str, person: str, everyone: bool = False, routine=None) -> LiveSession:
    if routine is not None:
        workout, annotate = routine_view.arm(model, lib, db, routine, person), draw_live
    elif everyone:
        workout = Workout(MultiPoseModel(), lib.get(exercise), db, person, definition=lib.definition(exercise),
                          everyone=True)

        def annotate(image, shown, latest):  # the exerciser's overlay, everyone's labels on top
            return draw_people(draw_live(image, shown, latest), workout.pipeline.latest.values(), workout.pipeline.exerciser)
    elif exercise == ANY:  # issue 28: recognised from the movement (coach.app.any_exercise)
        workout, annotate = any_exercise.RecognisingWorkout(model, lib, db, person, countdown_s=COUNTDOWN_S), draw_live
    else:
        workout = Workout(model, lib.get(exercise), db, person, definition=lib.definition(exercise),
                          countdown_s=COUNTDOWN_S)
        annotate = draw_live
    worker = LiveWorker(workout, annotate=annotate)
    session = LiveSession(exercise, person, workout, worker,
                          speech.Announcer(workout.exercise, speech.new_token(), sets=routine is None),
                          get_script_run_ctx().session_id, routine=routine.id if routine else None, everyone=everyone)
    worker.on_stopped = session.finish
    return session


def request_end():
    st.session_state["live-end"] = True


def toggle_pause():
    """Pause, or resume after a countdown: the set and the count are kept."""
    session: LiveSession | None = st.session_state.get("live")
    if session is not None:
        session.workout.resume() if session.workout.paused else session.workout.pause()


def page():
    db = resources.store()
    lib = resources.library()
    previous = st.session_state.get(STREAM_KEY)
    playing = bool(previous and (previous.state.playing or previous.state.signalling))
    session: LiveSession | None = st.session_state.get("live")
    st.markdown(VIEW_CSS + (WORKING_CSS if playing else ""), unsafe_allow_html=True)
    st.title("Workout")

    picks = st.container(key="live-picks").columns([1, 1, 1, 1])
    # The pickers stay on the page (locked while the camera runs) so that their widgets, not a
    # copy, say what was picked: a START pressed while the pick's own rerun is still on its way
    # then still arms the picked exercise.
    with picks[0]:
        person = resources.pick_person(db, "live", disabled=playing)
    with picks[3]:  # issue 28: a routine picks the exercises itself, one block after another
        routine = routine_view.pick(routine_view.library(lib), disabled=playing)
    with picks[1]:
        exercise = (routine_view.exercises_box(lib, routine) if routine is not None
                    else resources.pick_exercise(lib, "live", default="squat", disabled=playing, any_exercise=True))
    with picks[2]:  # issue 12: MultiPose and a count per person, only when asked for
        everyone = st.selectbox("Count", ["me", "everyone in view"], key="live-people",
                                disabled=playing or routine is not None) != "me" and routine is None
        if everyone and (exercise == ANY or lib.get(exercise).hold is not None):
            # A hold is timed for the one person in front of the camera (several people's
            # pipelines count reps, and the exerciser is whoever completes one first).
            st.caption("Any exercise is recognised for one person: you." if exercise == ANY
                       else "A hold is timed for one person: you.")
            everyone = False

    desired = None
    if st.session_state.pop("live-end", False) and session is not None:
        saved_id = session.end()
        counted = session.workout.progress
        session.announcer.end(counted)
        done = routine_view.done_words(session.workout) or counted.words(session.workout.exercise.name)
        st.session_state["live-saved"] = (saved_id, done,
                                          session.worker.error, session.workout.exercise)
        st.session_state["live-said"] = session.announcer
        routine_view.keep_outcome(session.workout)
        desired = False  # and stop the camera

    # A running stream keeps its worker once frames reach it; until then the workout follows the
    # pickers (streamlit-webrtc takes the new callback on this run).
    stale = session is not None and not session.started and (session.exercise, session.person, session.everyone, session.routine) != (
        exercise, person, everyone, routine.id if routine else None)
    # A stopped camera's worker may still be saving its workout (its on_stopped gives the tab
    # PAGE_GONE_S to close): the next START gets a new one.
    if session is None or stale or (not playing and (session.workout.finished or session.worker.stopping)):
        if session is not None and not session.started:
            session.worker.stop(timeout=0)
        session = arm(None if everyone else resources.model(settings.live_model()), lib, db, exercise, person, everyone, routine)
        st.session_state["live"] = session

    video, panel = st.columns([7, 3])
    rtc.install()  # issue 28: frames reach the worker at their last packet, not the next frame's first
    with video.container(key="live-video"):
        ctx = webrtc_streamer(
            key=STREAM_KEY,
            mode=WebRtcMode.SENDRECV,
            rtc_configuration={"iceServers": settings.ice_servers()},
            media_stream_constraints={"video": {"width": {"ideal": 640}, "frameRate": {"ideal": 30}}, "audio": False},
            video_frame_callback=session.worker.callback,
            on_video_ended=session.on_ended,
            desired_playing_state=desired,
            # The callback never waits for the model (the worker's mailbox), so it runs in line:
            # streamlit-webrtc's async mode sends each frame the previous one's output, 1-2 frames
            # late (60 of 150 ms camera-to-screen, benchmarks/live_delay.py).
            async_processing=False,
        )
        st.container(key="live-hint").caption("Press START and allow the camera. Stand so that your whole body is in view; "
                   f"{plain(session.workout.exercise.name.lower())} is best seen from the "
                   f"{' or '.join(session.workout.exercise.views)}.")
    with panel.container(key="live-panel"):
        end, pause = st.columns(2)
        end.button("End workout", type="primary", on_click=request_end, disabled=not ctx.state.playing,
                   key="live-end-button", use_container_width=True)
        pause.button("Resume" if session.workout.paused else "Pause", on_click=toggle_pause,
                     disabled=not ctx.state.playing, key="live-pause-button", use_container_width=True)
        board = st.empty()
        speech.controls()
    saved = st.session_state.get("live-saved")
    if not ctx.state.playing:
        with board.container():
            if saved is not None:
                speech.speak(st.session_state["live-said"])  # the workout's end, once
                saved_id, done, error, _ = saved
                if error:
                    st.error(plain(error))
                elif saved_id is None:
                    st.info("Nothing to save: the workout ended before counting started.")
                else:
                    st.success(f"Workout saved: {plain(done)} (session {saved_id}).")
                st.page_link(pages.history(), label="See it in the history", icon=":material/monitoring:")
            else:
                st.info("Pick the person and the exercise, then press START.")
        if saved is not None and saved[0] is not None:
            routine_view.outcome_card()
            summary_card(db, saved[0], saved[3])
        return
    if session.started and not session.workout.finished:  # a new workout is under way
        st.session_state.pop("live-saved", None)
        st.session_state.pop("live-routine-done", None)
    # Poll the worker until a rerun (a click, the stream stopping) interrupts this run. The slots
    # are made once: a new container on each poll started empty, and the count went blank.
    with board.container():
        slots = [st.empty() for _ in range(12)]
    while session.worker.running:
        show(session, slots)
        time.sleep(POLL_S)
    show(session, slots)


def summary_card(db, session_id: int, exercise):
    """The saved workout, read back from the history, beside the person's last one of it."""
    try:
        summary = summarise(db, session_id, exercise)
    except StoreError as error:  # the workout is saved; only its card cannot be read now
        st.warning(f"The workout is saved, but its summary cannot be read now: {plain(error)}")
        return
    this, last = summary.this, summary.last
    with st.container(border=True, key="live-summary"):
        st.subheader(f"{plain(exercise.name)}: this workout" + (" beside your last one" if last else ""))
        reps, sets, time_ = st.columns(3)
        label, value, delta = this.progress.beside(last.progress if last else None)
        reps.metric(label, value, delta=delta)
        sets.metric("Sets", len(this.sets), delta=len(this.sets) - len(last.sets) if last else None)
        time_.metric("Time", f"{this.duration_s:.0f} s",
                     delta=f"{this.duration_s - last.duration_s:+.0f} s" if last else None, delta_color="off")
        st.table(table(summary, exercise))
        if last is None:
            st.caption("Your first workout of this exercise: the next one will be compared with it.")


# The workout view, read from 3 m: the count, phase and cue in type sized to the window (vh),
# the video no taller than the window, the pickers out of sight while the camera runs.
VIEW_CSS = """<style>
.st-key-live-panel [data-testid="stMetricValue"] { font-size: clamp(3rem, min(15vh, 24vw), 10rem); line-height: 1.05; }
.st-key-live-panel [data-testid="stMetricLabel"] p { font-size: clamp(1rem, 2.4vh, 1.5rem); }
.coach-phase { font-size: clamp(1.1rem, 3.6vh, 2.2rem); margin: 0; }
.coach-cue { font-size: clamp(1.2rem, 4.4vh, 2.6rem); font-weight: 600; line-height: 1.2; padding: 0.35em 0.7em;
  border-radius: 0.5rem; color: #fff; }
.coach-meter { height: 0.9rem; border-radius: 0.45rem; background: #dfe3ea; overflow: hidden; }
.coach-meter > div { height: 100%; background: #5b7db1; }
/* A phone: the panel is under the video, and a set-up sentence runs to three lines. */
@media (max-width: 640px) { .coach-cue { font-size: clamp(1.1rem, 3.2vh, 2rem); } }
</style>"""
WORKING_CSS = """<style>
.st-key-live-picks, .st-key-live-hint, [data-testid="stMainBlockContainer"] h1 { display: none; }
[data-testid="stMainBlockContainer"] { padding-top: 3rem; }
@media (max-width: 640px) { [data-testid="stMainBlockContainer"] { padding-top: 1.5rem; } }
</style>"""


def video_fit_css(size: tuple[int, int] | None) -> str:
    """Keep the video (width 100% of its column) within the window's height, whatever the
    camera's shape: on a narrow window (a phone, the panel under the video) under a third of it,
    which leaves room below for the count and a cue of three lines (a portrait camera's cue once
    ended 39 px below a 390x844 window at 38vh)."""
    width, height = size or (4, 3)
    aspect = width / height
    # 15rem: the page's top padding, and under the video the player's bar and STOP, whose height
    # the webrtc component sets as it draws (12rem left STOP 15 px off a 1000 px window once).
    return (f"<style>.st-key-live-video {{ max-width: calc((100vh - 15rem) * {aspect:.4f}); }}"
            f"@media (max-width: 640px) {{ .st-key-live-video {{ max-width: calc(30vh * {aspect:.4f}); margin: 0 auto; }} }}"
            "</style>")


def show(session: LiveSession, slots: list):
    """The panel, drawn into the same 12 slots (st.empty) on every poll. The poll loop's run lasts
    as long as the camera, and Streamlit keeps whatever a shorter drawing of a block leaves out (a
    last run's stat line showed as a second panel), so a slot with nothing to say is emptied,
    and one that has is drawn over in place (emptied first, the count went blank in between)."""
    worker = session.worker
    fit, voice, error, counts, phase, message, people, slow, side, meter, last, stats = slots
    fit.markdown(video_fit_css(worker.frame_size), unsafe_allow_html=True)
    error.error(plain(worker.error)) if worker.error else error.empty()
    update = worker.display()  # the overlay shows this one's figures too
    if update is None:
        counts.info("Waiting for the camera...")
        for slot in (voice, phase, message, people, slow, side, meter, last, stats):
            slot.empty()
        return
    live = update.result
    result = live.result
    routine_view.follow(session)
    session.announcer.update(live)
    with voice.container():
        speech.speak(session.announcer)
    exercise = session.workout.exercise
    # A routine's set towards its target; else reps, or a hold's time held beside its target.
    done = result.progress
    counts.metric(*(routine_view.figure(session.workout) or any_exercise.figure(session.workout, done.figure)
                    or (done.label, done.figure)))
    where = [f"set {result.sets}" if result.sets else "no set yet", done.phase_words(result.phase)]
    if result.waiting:
        where.append("1 rep done: it counts when the next one comes")
    if live.view:
        where.append(f"camera sees your {live.view}")
    phase.markdown(f'<p class="coach-phase">{html.escape(" · ".join(where))}</p>', unsafe_allow_html=True)
    text, background = banner(session, live)
    message.markdown(f'<div class="coach-cue" data-testid="coach-cue" style="background: {background}">'
                     f"{html.escape(text)}</div>", unsafe_allow_html=True)
    if session.everyone:
        crowd = session.workout.pipeline
        people.markdown("People: " + (counts_line(crowd.latest.values(), crowd.exerciser) or "nobody in set-up yet"))
    else:
        people.empty()
    notes = dict(live_notes.notes(live, session.workout.exercise))  # why reps are flagged
    slow.warning(plain(notes[LOW_FPS]), icon=":material/speed:") if LOW_FPS in notes else slow.empty()
    side.warning(plain(notes[WRONG_VIEW]), icon=":material/visibility:") if WRONG_VIEW in notes else side.empty()
    signal, unit = exercise.drive_name, short_unit(exercise.drive.unit)
    # Neutral, not the theme's red: the meter measures how far the movement went (a hold: how far
    # to its target time), it does not judge.
    label, of = done.meter(signal)
    meter.markdown(f'<p>{label} ({html.escape(of)})</p><div class="coach-meter" role="meter" aria-label="{label}" '
                   f'aria-valuenow="{live.meter or 0.0:.2f}">'
                   f'<div style="width: {100 * (live.meter or 0.0):.0f}%"></div></div>', unsafe_allow_html=True)
    if session.workout.holds:
        last.caption(holds_line(list(session.workout.holds.values())).capitalize())
    elif live.last_rep is not None:
        rep = live.last_rep
        last.caption(f"Last rep: {plain(signal)} {rep.rom_min:.0f}-{rep.rom_max:.0f} {unit}, {rep.time_down:.1f} s down, "
                     f"{rep.time_up:.1f} s up" + (f", flags: {plain(', '.join(rep.flags))}" if rep.flags else ""))
    else:
        last.empty()
    figures = worker.stats
    stats.caption(f"Stream {figures.stream_t:.1f} s · camera {figures.input_fps:.1f} fps · "
                  f"analysed {figures.fps:.1f} fps · skeleton {figures.latency_ms:.0f} ms behind the camera · "
                  f"dropped {figures.dropped} of {figures.received}")


def counts_line(people, exerciser: int | None) -> str:
    """Everyone's counts in one line, e.g. "#1: 4 reps (exerciser) · #2: 3 reps"."""
    return " · ".join(person_label(p, exerciser) for p in people if p.ready or p.result.reps)


def banner(session: LiveSession, live) -> tuple[str, str]:
    """The one message the overlay shows too (StepResult.message orders them), with its colour."""
    if live.message is None or live.message[0] != "setup":
        if guided := routine_view.banner(session.workout):  # a routine's rest: what is next
            return guided, css_colour(MESSAGE_COLOURS["rest"])
    if live.message is None:
        return live.result.progress.banner(session.workout.exercise.name), css_colour(MESSAGE_COLOURS["rest"])
    kind, what = live.message
    colour = css_colour(message_colour(kind, what))
    if kind == "cue":
        return what.text, colour
    if kind == "rest":
        rest_s = session.workout.exercise.count.rest_s
        after = "a new set starts with the next rep" if live.rest_s > rest_s else f"a new set after {rest_s:g} s"
        return f"{what} ({after})", colour
    return what, colour
