"""The live workout without a browser: the frame worker, the Workout pipeline, the overlay and the
app's settings, with the real model on the shared clips."""

import threading
from fractions import Fraction

import av
import numpy as np
import pytest

from coach.analyze import analyze_video
from coach.app import settings
from coach.app.overlay import draw_live
from coach.app.signal_chart import rep_frame, signal_chart
from coach.app.video import check_upload
from coach.app.worker import LiveWorker
from coach.app.workout import Workout
from coach.camera_view import ViewCheck
from coach.errors import InputError
from coach.exercise_library import Library
from coach.pose import PoseTracker, load_model
from coach.sources import read_video
from coach.store import Store
from coach.types import Frame

# Whole hang guards, not timings: a worker that blocked would never get there.
HANG_S = 60


@pytest.fixture(scope="module")
def model(models_dir):
    return load_model("lightning-int8")


@pytest.fixture(scope="module")
def library():
    return Library()


@pytest.fixture(scope="module")
def jacks(clips_dir):
    return list(read_video(clips_dir / "jumping_jacks_11.mp4"))


@pytest.fixture(scope="module")
def squats(clips_dir):
    return list(read_video(clips_dir / "squat_side_3.mp4"))


class Gate:
    """The real pose pipeline, held at its first frame until `open()` (to make the model 'slow'
    deterministically) and recording which frames it saw."""

    def __init__(self, model):
        self.tracker = PoseTracker(model)
        self.entered = threading.Event()
        self.release = threading.Event()
        self.seen = []

    def update(self, frame):
        self.entered.set()
        assert self.release.wait(HANG_S)
        self.seen.append(frame.index)
        return self.tracker.update(frame)

    def open(self):
        self.release.set()


def av_frame(image, pts, time_base=Fraction(1, 90000)):
    frame = av.VideoFrame.from_ndarray(image, format="rgb24")
    frame.pts, frame.time_base = pts, time_base
    return frame


def test_the_newest_frame_replaces_those_the_model_had_no_time_for(model, jacks):
    gate = Gate(model)
    worker = LiveWorker(gate)
    worker.submit(jacks[0])
    assert gate.entered.wait(HANG_S)  # the model is busy with frame 0...
    for frame in jacks[1:50]:  # ...while 49 more arrive
        worker.submit(frame)
    gate.open()
    assert worker.stop(HANG_S)
    assert gate.seen == [0, 49]  # no queue: the stale 48 were dropped, the newest analysed
    stats = worker.stats
    assert (stats.received, stats.analysed, stats.dropped) == (50, 2, 48)
    assert worker.latest.stats.stream_t == jacks[49].t


def test_the_callback_returns_at_once_while_the_model_is_busy(model, jacks):
    gate = Gate(model)
    worker = LiveWorker(gate, annotate=lambda image, shown, latest: image[::-1].copy())
    returned = []

    def camera():
        for i, frame in enumerate(jacks[:30]):
            returned.append(worker.callback(av_frame(frame.image, 1_000_000 + i * 3754)))

    thread = threading.Thread(target=camera)
    thread.start()
    thread.join(HANG_S)
    assert not thread.is_alive() and len(returned) == 30  # never waited for the held model
    assert gate.seen == []
    gate.open()
    assert worker.stop(HANG_S)
    # The worker took whichever frame was newest when its thread first looked (which one depends
    # on thread start-up), then, once the model was free, only the newest: none of those between.
    assert gate.seen[-1] == 29 and len(gate.seen) <= 2
    # Frame time comes from pts * time_base, counted from the stream's first frame.
    assert worker.stream_t == pytest.approx(29 * 3754 / 90000)
    out = returned[-1].to_ndarray(format="rgb24")
    assert out.shape == jacks[0].image.shape and np.array_equal(out, jacks[29].image[::-1])


@pytest.mark.parametrize("step", [1, 2, 3])
def test_the_live_count_does_not_depend_on_dropped_frames(model, library, jacks, step):
    """Counting runs on frame times, so analysing every 2nd or 3rd frame (12 and 8 fps of a
    24 fps clip, as when the model falls behind) still counts the 11 jumping jacks."""
    workout = Workout(model, library.get("jumping_jack"))
    results = [workout.update(frame) for frame in jacks[::step]]
    assert results[-1].result.reps == 11
    assert workout.progress.done == 11
    assert [r.last_rep.index for r in results if r.result.rep] == list(range(1, 12))


@pytest.mark.slow
def test_a_stream_that_waits_for_the_worker_counts_every_jack(model, library, jacks):
    """The whole path of the page: av frames into the callback, the Workout counting, the latest
    update for the page. The camera waits for the worker after each frame (the machine's load
    does not pick which frames are analysed: the low-rate case is tests/test_live_honest.py)."""
    workout = Workout(model, library.get("jumping_jack"))
    worker = LiveWorker(workout, annotate=draw_live, on_stopped=workout.finish)
    for frame in jacks:
        out = worker.callback(av_frame(frame.image, round(frame.t * 90000)))
        assert out.width == frame.image.shape[1]
        assert worker.wait_idle(HANG_S)
    assert worker.stop(HANG_S)
    stats = worker.stats
    assert worker.latest.result.result.reps == 11
    assert (stats.received, stats.analysed, stats.dropped) == (len(jacks), len(jacks), 0)
    assert workout.finished


def test_each_rep_is_in_the_history_the_moment_it_is_counted(model, library, squats, tmp_path):
    db = tmp_path / "coach.db"
    store = Store.open(db)
    workout = Workout(model, library.get("squat"), store, "ana", definition="id: squat")
    reader = Store.open(db)
    seen = []
    for frame in squats:
        live = workout.update(frame)
        if live.result.rep is not None:
            # Once the recorder's thread has written what it was handed, another connection (as
            # after the tab closed, or the server died) sees the rep.
            workout.recorder.wait()
            seen.append(len(reader.reps(person="ana")))
    assert seen == [0, 2, 3]  # the set's first rep is committed with its second, counted on the next frame
    session_id = workout.finish()
    assert workout.finish() == session_id  # once only
    row = reader.session(session_id)
    assert (row["status"], row["reps"], row["exercise"], row["person"], row["source"]) == \
        ("complete", 3, "squat", "ana", "live")


def test_a_stream_that_ends_closes_its_workout(model, library, squats, tmp_path):
    """The stream ending (STOP, the tab closed) stops the worker, which then saves the workout."""
    store = Store.open(tmp_path / "coach.db")
    workout = Workout(model, library.get("squat"), store, "ben")
    worker = LiveWorker(workout, on_stopped=workout.finish)
    for frame in squats:
        worker.submit(frame)
    assert worker.stop(HANG_S)
    assert workout.finished
    sessions = store.sessions(person="ben")
    assert list(sessions["status"]) == ["complete"]
    assert sessions["reps"].iloc[0] == workout.progress.done


def test_a_workout_whose_camera_never_started_leaves_no_session(model, library, tmp_path):
    store = Store.open(tmp_path / "coach.db")
    workout = Workout(model, library.get("squat"), store, "cleo")
    worker = LiveWorker(workout, on_stopped=workout.finish)
    assert worker.running and not worker.thread.is_alive()  # armed, but no thread until a frame comes
    assert worker.stop(0)
    assert not worker.running and workout.finished and workout.session_id is None
    assert store.sessions().empty


def test_the_set_up_check_tells_the_camera_angle(model, library, jacks, squats):
    # A second of each clip from a new tracker: its first frames may say no view (a first pose seen
    # half turned is not guessed at); once half the check's window has passed, each says the right one.
    def views(frames):
        check, tracker = ViewCheck(0.3), PoseTracker(model)
        return [check.update(tracker.update(f), f.t) for f in frames]

    front, side = views(jacks[60:90]), views(squats[30:60])
    assert set(front) <= {"front", None} and set(front[15:]) == {"front"}
    assert set(side) <= {"side", None} and set(side[15:]) == {"side"}
    # A squat filmed from the front is fine; a jumping jack filmed from the side is not.
    workout = Workout(model, library.get("jumping_jack"))
    messages = [workout.update(f).setup for f in squats[:60]]
    assert messages[-1] == "Turn so the camera sees you from the front or back: it sees your side now."


def test_the_overlay_draws_the_count_over_the_camera_image(model, library, jacks):
    workout = Workout(model, library.get("jumping_jack"))
    worker = LiveWorker(workout)
    image = jacks[0].image
    assert draw_live(image, None) is image  # nothing to draw yet
    for frame in jacks[:40]:
        worker.submit(frame)
    assert worker.stop(HANG_S)
    drawn = draw_live(image, worker.latest)
    assert drawn.shape == image.shape and not np.array_equal(drawn, image)
    assert np.array_equal(image, jacks[0].image)  # the camera image itself is untouched
    # A frame of another size (the camera changed resolution) gets the pose scaled to it.
    small = image[::2, ::2].copy()
    assert draw_live(small, worker.latest).shape == small.shape


@pytest.mark.parametrize("height, width", [(480, 640), (640, 480), (1080, 1920)])
def test_the_overlay_count_is_a_fifth_of_the_video_high_whatever_its_shape(height, width):
    from coach.app.overlay import big_count
    from coach.render import hud_unit
    from coach.types import FrameResult

    image = np.zeros((height, width, 3), np.uint8)
    big_count(image, FrameResult(0.0, None, {}, "", 8, 0, True), hud_unit(image))  # the digit only
    rows = np.flatnonzero((image == 255).all(axis=2).any(axis=1))
    # Read from 3 m: the issue asks for at least 15% of the video's height.
    assert rows.max() - rows.min() + 1 >= 0.15 * height


def test_ice_servers_come_from_the_environment_or_a_file(tmp_path, monkeypatch):
    monkeypatch.delenv("COACH_ICE_SERVERS", raising=False)
    assert settings.ice_servers() == []  # localhost needs none
    stun = '[{"urls": "stun:stun.example.org:3478"}]'
    assert settings.ice_servers(stun) == [{"urls": "stun:stun.example.org:3478"}]
    config = tmp_path / "ice.json"
    config.write_text('{"iceServers": [{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]}')
    monkeypatch.setenv("COACH_ICE_SERVERS", str(config))
    assert settings.ice_servers()[0]["username"] == "u"


@pytest.mark.parametrize("text, message", [
    ("[{", "COACH_ICE_SERVERS: not JSON"),
    ('{"urls": "stun:x"}', "COACH_ICE_SERVERS: expected a list of ICE servers"),
    ('[{"url": "stun:x"}]', 'COACH_ICE_SERVERS: server 0 needs "urls"'),
    ('[{"urls": "http://x"}]', "COACH_ICE_SERVERS: server 0: 'http://x' is not a stun:, turn: or turns: address"),
    ('[{"urls": "stun:x", "password": "p"}]', "COACH_ICE_SERVERS: server 0: unknown field 'password'"),
    ("/nonexistent/ice.json", "COACH_ICE_SERVERS: cannot read /nonexistent/ice.json"),
])
def test_bad_ice_servers_are_one_line_errors(text, message):
    with pytest.raises(InputError) as error:
        settings.ice_servers(text)
    assert str(error.value).startswith(message)


def test_coach_app_says_so_when_its_port_is_taken():
    import socket
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "coach", "app", "--port", str(port)], capture_output=True,
                              text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith(f"coach: error: cannot serve on 127.0.0.1:{port}: ")
    assert "(try --port)" in done.stderr and "Traceback" not in done.stderr


def test_an_upload_is_analysed_on_the_live_path_with_progress_and_a_chart(model, library, clips_dir, tmp_path):
    progress = []
    out = tmp_path / "annotated.mp4"
    analysis = analyze_video(clips_dir / "squat_side_3.mp4", library.get("squat"), load_model("lightning"), out=out,
                             on_progress=lambda done, total: progress.append((done, total)))
    assert analysis.count == 3
    assert progress[-1] == (354, 354) and [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert out.stat().st_size > 10_000 and read_video(out).frame_count == 354
    reps = rep_frame(analysis.reps, analysis.exercise)
    assert list(reps["rep"]) == [1, 2, 3]
    # A squat starts high (standing): each rep had to go below `depth needed` and come back above
    # the `return line`, both inside its own range.
    assert ((reps["rom_min"] < reps["depth_needed"]) & (reps["depth_needed"] < reps["rom_max"])).all()
    assert ((reps["rom_min"] < reps["return_line"]) & (reps["return_line"] < reps["rom_max"])).all()
    chart = signal_chart(analysis.results, analysis.exercise).to_dict()
    assert len(chart["layer"]) == 6  # rep spans, signal, thresholds, rep numbers, swings not counted and why


@pytest.mark.parametrize("name, size, message", [
    ("clip.txt", 10, "clip.txt: not a video type coach reads (use mp4, mov"),
    ("clip.mp4", 300 * 1024 * 1024, "clip.mp4: 300 MB is over the 200 MB limit for an upload"),
    ("clip.MOV", 0, "clip.MOV: the file is empty"),
])
def test_uploads_are_checked_with_one_line_messages(name, size, message):
    with pytest.raises(InputError) as error:
        check_upload(name, size, settings.VIDEO_TYPES, 200)
    assert str(error.value).startswith(message)


def test_counting_starts_when_the_countdown_after_the_set_up_check_ends(model, library, squats):
    """squat_side_3 squats from its first frame, with the page's 3 s countdown: the set-up check
    passes at once, the steps count down 3, 2, 1 on the frames' clock, and the first squat (0.3 to
    2.8 s) is done before counting starts, so it is not counted; the other two are."""
    workout = Workout(model, library.get("squat"), countdown_s=3.0)
    steps = [(frame.t, workout.update(frame)) for frame in squats]
    counting_down = [(t, step.countdown) for t, step in steps if step.countdown is not None]
    seconds = [n for i, (_, n) in enumerate(counting_down) if i == 0 or n != counting_down[i - 1][1]]
    assert seconds == [3, 2, 1]
    go = next(t for t, step in steps if step.countdown is None)
    assert go == pytest.approx(counting_down[0][0] + 3.0, abs=0.05)
    assert all(step.result.reps == 0 and step.message[0] == "countdown" for t, step in steps if t < go)
    reps = [step.result.rep for _, step in steps if step.result.rep is not None]
    assert workout.progress.done == 2 and all(rep.start_t >= go for rep in reps)
    # A stream whose first frame is at 1.009 s: (1.009 + 3) - 1.009 is a hair over 3 in floating
    # point, and the page once showed "Get ready: 4".
    later = Workout(model, library.get("squat"), countdown_s=3.0)
    assert [later.update(Frame(f.image, f.t + 1.009, f.index)).countdown for f in squats[:5]] == [3] * 5


def test_a_dropout_of_a_frame_keeps_the_countdown_and_leaving_view_starts_it_again(model, library, squats):
    """squat_side_3's standing start with an empty frame (no one in view) put in: one empty frame
    at 1 s is a dropout the countdown runs through, saying nothing of it (the live page once
    started the countdown again on a frame whose ankle the model lost); a second of empty frames is
    the person gone, and the countdown waits for them, saying why, then counts from 3 again."""
    empty = np.zeros_like(squats[0].image)
    standing = squats[0].image
    dt = squats[1].t - squats[0].t

    def run(gone_s: float):
        workout = Workout(model, library.get("squat"), countdown_s=3.0)
        steps, t = [], 0.0
        while t < 6.0:
            image = empty if 1.0 <= t < 1.0 + max(gone_s, dt / 2) else standing
            steps.append((t, workout.update(Frame(image, t, len(steps)))))
            t += dt
        return steps

    dropout = run(0.0)
    assert all(step.setup is None for _, step in dropout)
    assert next(t for t, step in dropout if step.countdown is None) == pytest.approx(3.0, abs=dt)
    gone = run(1.0)
    assert any(step.countdown is None and step.setup.startswith("Step into view") for t, step in gone if t < 2.0)
    back = next(t for t, step in gone if t > 2.0 and step.countdown == 3)
    assert next(t for t, step in gone if step.countdown is None and t > back) == pytest.approx(back + 3.0, abs=dt)


def test_a_camera_on_the_wrong_side_does_not_hold_the_countdown(model, library, squats):
    """Jumping jacks picked, side-view squats seen: the body is in view, so the countdown runs and
    says nothing of the side; once counting starts, the page asks the person to turn, and every rep
    counted meanwhile is flagged wrong_view (the view may be misjudged: a count flagged is better
    than none)."""
    workout = Workout(model, library.get("jumping_jack"), countdown_s=3.0)
    steps = [workout.update(frame) for frame in squats]
    assert [step.countdown for step in steps[:3]] == [3, 3, 3]
    assert all(step.setup is None for step in steps if step.countdown is not None)
    counting = [step for step in steps if step.countdown is None]
    assert counting and counting[-1].message == (
        "setup", "Turn so the camera sees you from the front or back: it sees your side now.")
    counted = [step.result.rep for step in steps if step.result.rep is not None]
    workout.finish()  # the swing left held by the set gate counts at the end
    # The two squats after the countdown, each counted as a swing and flagged.
    assert workout.progress.done == 2 and "wrong_view" in workout.pipeline.last_rep.flags
    assert all("wrong_view" in rep.flags for rep in counted)


def test_a_pause_keeps_the_count_and_is_neither_rest_nor_a_gap_between_sets(model, library, squats):
    """Paused from 4.0 s to 7.3 s of squat_side_3, over its second squat: the paused frames are
    not analysed and show the count as it was; the paused stretch is taken out of the counter's
    clock, so the first and third squats are 1.5 s apart, one set of two (on the stream's clock,
    4.8 s apart, more than the set gate's 3 s: the first would be dropped as outside a set)."""
    workout = Workout(model, library.get("squat"))
    steps = []
    for frame in squats:
        if frame.t >= 4.0 and not workout.paused and not steps[-1].paused:
            workout.pause()
        if frame.t >= 7.3 and workout.paused:
            workout.resume()
        steps.append(workout.update(frame))
    paused = [step for step in steps if step.paused]
    assert paused and all(step.result.pose is None and step.message[0] == "paused" for step in paused)
    assert {step.result.reps for step in paused} == {steps[steps.index(paused[0]) - 1].result.reps}
    assert (workout.progress.done, steps[-1].result.sets) == (2, 1)
    assert [step.result.rep.index for step in steps if step.result.rep] == [1, 2]


def test_the_overlay_shows_the_count_the_page_shows(model, library, jacks):
    """The page polls; between two polls the analysis moves on. The video's count, phase and
    message are those of the update the page took last (`display()`), its skeleton the newest:
    the video never says 2 while the panel says 0."""
    workout = Workout(model, library.get("jumping_jack"))
    worker = LiveWorker(workout, annotate=draw_live)
    frames = iter(jacks)
    for frame in frames:
        worker.submit(frame)
        assert worker.wait_idle(HANG_S)
        if worker.latest.result.result.reps == 0:
            shown = worker.display()  # the page's poll
        elif worker.latest.result.result.reps >= 2:
            break
    frame = next(frames)
    out = worker.callback(av_frame(frame.image, round(frame.t * 90000))).to_ndarray(format="rgb24")
    assert worker.wait_idle(HANG_S) and worker.stop(HANG_S)
    assert worker.shown is shown and shown.result.result.reps == 0
    assert np.array_equal(out, draw_live(frame.image, shown, worker.latest))
    assert not np.array_equal(out, draw_live(frame.image, worker.latest, worker.latest))


def test_a_corrective_tip_is_not_in_praise_green_and_each_severity_has_its_colour():
    from coach.palette import cue_colour, message_colour
    from coach.types import Cue, Severity

    praise = Cue("praise", "Good squat!", Severity.info, 0.0)
    tips = [Cue("shallow", "Go deeper", severity, 0.0) for severity in Severity]
    colours = [cue_colour(praise), *map(cue_colour, tips)]
    assert len(set(colours)) == 4  # praise, info, warning, error
    # The set-up check and the countdown share a colour; the page and the video use the same.
    assert message_colour("setup", "Step into view") == message_colour("countdown", "Get ready: 3")
    assert message_colour("cue", tips[0]) == cue_colour(tips[0]) != message_colour("setup", "")
