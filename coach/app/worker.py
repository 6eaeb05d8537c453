"""The live workout's frame worker: camera frames in, FrameResults out, without ever blocking.

streamlit-webrtc calls `callback(av_frame)` on its own thread for every frame the browser sends
and streams back what it returns. The callback only converts the frame, leaves it in a one-slot
mailbox and draws the latest result on it; a separate analysis thread takes whatever frame is in
the mailbox when it is free. So when the model falls behind, frames that waited are replaced by
newer ones (counted as dropped) instead of queueing up: the view never lags further behind the
camera than one analysis. The pipeline is timestamp-driven (Frame.t comes from the frame's
pts * time_base), so a dropped frame does not change a count.

The latest result is `latest`, which the page polls, never `st.*`: this module does not import
Streamlit, and the tests drive it without it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from coach.errors import CoachError
from coach.framerate import frame_rate
from coach.pipeline import StepResult
from coach.types import Frame

log = logging.getLogger(__name__)

# How far back the frame rate and latency are measured, in seconds of wall-clock time.
STATS_WINDOW_S = 2.0


class Analyser(Protocol):
    """One frame in, its step out (None: skipped), in stream order: a Workout (a Pipeline with
    the history recorder)."""

    def update(self, frame: Frame) -> StepResult | None: ...


@dataclass(frozen=True, slots=True)
class LiveStats:
    """How the worker keeps up. Rates and latency are over the last STATS_WINDOW_S seconds.

    received: frames that reached the callback; analysed: frames the pipeline saw; dropped:
    frames replaced by a newer one before the pipeline was free. input_fps and fps are frames
    per second arriving and analysed; latency_ms is the median time from a frame's arrival to
    its result. stream_t is the latest analysed frame's time in the stream, seconds.
    """

    received: int = 0
    analysed: int = 0
    dropped: int = 0
    input_fps: float = 0.0
    fps: float = 0.0
    latency_ms: float = 0.0
    stream_t: float = 0.0


@dataclass(frozen=True, slots=True)
class LiveUpdate:
    """One analysed frame's step with the worker's figures then."""

    result: StepResult
    stats: LiveStats


# annotate(image, shown, latest): the camera image with the count, phase and message of `shown`
# (the update the page shows now) and the skeleton of `latest` (the newest).
Annotate = Callable[[np.ndarray, "LiveUpdate | None", "LiveUpdate | None"], np.ndarray]


class LiveWorker:
    """Runs `pipeline.update` on the newest frame on a thread of its own.

    `submit(frame)` and `callback(av_frame)` return at once. `latest` is the newest update; the
    page takes it with `display()` on each poll, and the overlay then draws the count, phase and
    message of that one (`shown`) over the camera, with the newest skeleton: the video and the
    panel say the same (reps are recorded by the pipeline's recorder, not by the page, so
    nothing counted is lost when the page polls slowly). `error` is the one-line
    message of a CoachError that stopped the analysis, if one did. `on_stopped` runs on the
    analysis thread once it ends (after the last waiting frame), e.g. to close the workout.
    """

    def __init__(self, pipeline: Analyser, annotate: Annotate | None = None,
                 on_stopped: Callable[[], None] | None = None, clock: Callable[[], float] = time.monotonic):
        self.pipeline = pipeline
        self.annotate = annotate
        self.on_stopped = on_stopped
        self.clock = clock
        self.latest: LiveUpdate | None = None
        self.shown: LiveUpdate | None = None  # what the page shows now (display())
        self.frame_size: tuple[int, int] | None = None  # the camera's (width, height), for the page's layout
        self.error: str | None = None
        self.wake = threading.Condition()
        self.pending: tuple[Frame, float] | None = None
        self.stopping = False
        self.busy = False  # the analysis thread is on a frame
        self.received = 0
        self.analysed = 0
        self.dropped = 0
        self.first_pts: float | None = None
        self.stream_t = 0.0
        self.arrivals: deque[float] = deque()
        self.done: deque[tuple[float, float]] = deque()  # (finished at, latency) per analysed frame
        # Started by the first frame: a worker armed for a camera that never starts costs nothing.
        self.thread = threading.Thread(target=self.run, name="live-analysis", daemon=True)
        self.ended = threading.Event()

    # --- the camera side: never waits for the model -------------------------------------------

    def submit(self, frame: Frame) -> None:
        """Leave `frame` for the analysis thread, replacing one that it has not taken yet."""
        now = self.clock()
        with self.wake:
            if self.stopping:
                return
            if not self.thread.is_alive() and not self.ended.is_set():
                self.thread.start()
            if self.pending is not None:
                self.dropped += 1
            self.pending = (frame, now)
            self.received += 1
            self.arrivals.append(now)
            self.wake.notify_all()

    def callback(self, av_frame):
        """streamlit-webrtc's video_frame_callback: av.VideoFrame in, annotated av.VideoFrame out."""
        import av

        image = av_frame.to_ndarray(format="rgb24")
        self.frame_size = (image.shape[1], image.shape[0])
        self.submit(Frame(image, self.stream_time(av_frame), self.received))
        if self.annotate is None:
            return av_frame
        return av.VideoFrame.from_ndarray(self.annotate(image, self.shown, self.latest), format="rgb24")

    def stream_time(self, av_frame) -> float:
        """Seconds since the stream's first frame, from the frame's own pts and time_base."""
        if av_frame.pts is None or av_frame.time_base is None:
            # No timestamp (not seen from aiortc): arrival time is the best there is.
            pts = self.clock()
        else:
            pts = float(av_frame.pts * av_frame.time_base)
        if self.first_pts is None:
            self.first_pts = pts
        return pts - self.first_pts

    # --- the analysis side ---------------------------------------------------------------------

    def run(self):
        try:
            self.analyse()
        finally:
            self.close()

    def close(self):
        try:
            if self.on_stopped is not None:
                try:
                    self.on_stopped()
                except CoachError as error:
                    log.error("ending the live analysis: %s", error)
                    self.error = self.error or str(error)
                except Exception:
                    log.exception("ending the live analysis failed")
                    self.error = self.error or "ending the live analysis failed (see the server log)"
        finally:
            self.ended.set()
            with self.wake:
                self.wake.notify_all()

    def analyse(self):
        while True:
            with self.wake:
                self.busy = False
                self.wake.notify_all()
                while self.pending is None and not self.stopping:
                    self.wake.wait()
                if self.pending is None:
                    return
                (frame, arrived), self.pending = self.pending, None
                self.busy = True
            try:
                result = self.pipeline.update(frame)
            except CoachError as error:
                log.error("live analysis stopped: %s", error)
                self.error = str(error)
                return
            except Exception:
                log.exception("live analysis stopped by an unexpected error")
                self.error = "the live analysis stopped on an unexpected error (see the server log)"
                return
            if result is not None:
                self.publish(result, frame.t, arrived)

    def display(self) -> LiveUpdate | None:
        """The newest update, for the page to show; the overlay shows its figures from now on too.
        One result on screen: when the overlay drew the newest and the page its last poll, the
        video said 2 while the panel said 0."""
        self.shown = self.latest
        return self.shown

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Until every frame submitted so far is analysed (or the thread ended): a stream that
        waits for the worker, so that a test picks which frames are analysed, not the machine's
        load. True when idle in time."""
        with self.wake:
            return self.wake.wait_for(lambda: (self.pending is None and not self.busy) or self.ended.is_set(),
                                      timeout)

    def publish(self, result, stream_t: float, arrived: float):
        now = self.clock()
        with self.wake:
            self.analysed += 1
            self.done.append((now, now - arrived))
            self.stream_t = stream_t
            stats = self.measure(now, stream_t)
        self.latest = LiveUpdate(result, stats)

    def measure(self, now: float, stream_t: float) -> LiveStats:
        """Figures over the last STATS_WINDOW_S seconds (called with the lock held)."""
        while self.arrivals and self.arrivals[0] < now - STATS_WINDOW_S:
            self.arrivals.popleft()
        while self.done and self.done[0][0] < now - STATS_WINDOW_S:
            self.done.popleft()
        return LiveStats(
            received=self.received,
            analysed=self.analysed,
            dropped=self.dropped,
            input_fps=frame_rate(self.arrivals),
            fps=frame_rate([t for t, _ in self.done]),
            latency_ms=1000 * float(np.median([lat for _, lat in self.done])) if self.done else 0.0,
            stream_t=stream_t,
        )

    @property
    def stats(self) -> LiveStats:
        with self.wake:
            return self.measure(self.clock(), self.stream_t)

    def stop(self, timeout: float | None = 5.0) -> bool:
        """Analyse the frame still waiting, then end the thread. True when it ended in time."""
        with self.wake:
            never_started = not self.stopping and not self.thread.is_alive() and not self.ended.is_set()
            self.stopping = True
            self.wake.notify_all()
        if never_started:
            self.close()
        return self.ended.wait(timeout)

    @property
    def running(self) -> bool:
        """Until stopped (and done with its last frame), whether or not a frame came yet."""
        return not self.ended.is_set()

