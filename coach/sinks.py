"""What is done with each step of the pipeline (coach.pipeline.Sink): the progress of a file, the
overlay video, and the history recorder on a thread of its own."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from coach.exercises import Exercise
from coach.pipeline import StepResult
from coach.types import Frame, FrameResult

log = logging.getLogger(__name__)


class ProgressSink:
    """`on_progress(frames_done, frames_total)` after each frame (total 0 when unknown)."""

    def __init__(self, on_progress: Callable[[int, int], None], total: int = 0):
        self.on_progress = on_progress
        self.total = total

    def update(self, step: StepResult, frame: Frame | None) -> None:
        if frame is not None:
            self.on_progress(frame.index + 1, self.total)

    def close(self, status: str) -> None:
        pass


class VideoSink:
    """The overlay video: skeleton, count, phase and the cue on screen, at `fps`."""

    def __init__(self, out, fps: float, exercise: Exercise):
        from coach.render import VideoWriter

        self.writer = VideoWriter(out, fps)
        self.exercise = exercise

    def update(self, step: StepResult, frame: Frame | None) -> None:
        from coach.render import draw_hud, draw_pose

        if frame is None:  # a rep counted when the stream ended has no frame to draw on
            return
        self.writer.write(draw_hud(draw_pose(frame.image, step.result.pose), step.result, self.exercise, step.cue))

    def close(self, status: str) -> None:
        self.writer.close()


class RecorderSink:
    """The history recorder on a thread of its own, off the analysis path.

    Steps go into an unbounded (lossless) queue of frozen FrameResults; the thread hands each to
    a SessionRecorder, which still commits every rep the moment it reaches it. A database that
    is locked or slow so delays the writing, never the counting. The session is opened at the
    first frame, so a camera that never started leaves nothing behind; with `keep_empty=False`,
    at the first rep counted or hold timed (the frames before it wait in the queue), so a file
    in which nothing was done leaves nothing either. `close(status)` waits for
    the queue to be written and ends the session; `session_id` is known from then (or once the
    first frame is written: `wait()`). The session is stored with the camera view the pipeline
    decided (StepResult.session_view at the last step).
    """

    def __init__(self, store, exercise: str, person: str | None = None, *, keep_empty: bool = True,
                 **recorder_options):
        self.store = store
        self.keep_empty = keep_empty
        self.exercise = exercise
        self.person = person
        self.options = recorder_options
        self.results: queue.Queue[FrameResult | None] = queue.Queue()
        self.recorder = None
        self.session_id: int | None = None
        self.view: str | None = None
        self.error: Exception | None = None
        self.lock = threading.Lock()
        self.closed = False
        self.thread = threading.Thread(target=self.write, name="history-recorder", daemon=True)

    def update(self, step: StepResult, frame: Frame | None) -> None:
        with self.lock:
            if self.closed:
                return
            done = step.result.rep is not None or step.result.hold is not None
            if self.thread.ident is None and (self.keep_empty or done):  # the first frame (or rep)
                self.thread.start()
            self.results.put(step.result)
            self.view = step.session_view

    def write(self) -> None:
        while True:
            result = self.results.get()
            try:
                if result is None:
                    return
                if self.error is not None:
                    continue  # the recorder failed beyond its recovery file: keep draining
                try:
                    if self.recorder is None:
                        from coach.store import SessionRecorder  # SQLAlchemy loads only to record

                        self.recorder = SessionRecorder(self.store, self.exercise, self.person, **self.options)
                        self.session_id = self.recorder.session_id
                    self.recorder.update(result)
                except Exception as error:  # noqa: BLE001 (raised again by close, on the caller's thread)
                    log.error("recording the session failed: %s", error)
                    self.error = error
            finally:
                self.results.task_done()

    def wait(self) -> None:
        """Until every result handed over so far is written (tests and the page use it to know)."""
        self.results.join()

    def close(self, status: str = "complete") -> int | None:
        """Write what is queued, then end the session ('complete' or 'interrupted'), once;
        returns its id, None when no frame came."""
        with self.lock:
            if self.closed:
                return self.session_id
            self.closed = True
            started = self.thread.ident is not None
        if started:
            self.results.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error
        if self.recorder is not None:
            self.session_id = self.recorder.finish(status, self.view)
        return self.session_id


