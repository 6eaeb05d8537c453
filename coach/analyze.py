"""Whole inputs through the pipeline, frame by frame exactly as live: a video, a keypoint file,
or a stream of poses (a stored session counted again). Each returns its Analysis."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from coach.analysis import Analysis
from coach.exercises import Exercise
from coach.pipeline import Pipeline, Sink
from coach.sinks import ProgressSink, VideoSink
from coach.types import Frame, Pose


def analyze_video(path, exercise: Exercise, model, fps: float | None = None, out=None,
                  on_progress: Callable[[int, int], None] | None = None,
                  record: Callable[[Analysis], Sink] | None = None) -> Analysis:
    """A video through the pipeline (crop tracking on), frame by frame as live.

    `fps` retimes the frames to that rate; `out` gets the overlay video (skeleton, count, phase,
    cue); `on_progress(frames_done, frames_total)` hears of each frame (total 0 when unknown);
    `record(analysis)` makes the sink that stores the session as it goes (a RecorderSink).
    """
    from coach.sources import read_video

    source = read_video(path)
    rate = fps or source.fps or 30.0
    sinks: list[Sink] = []
    if on_progress:
        sinks.append(ProgressSink(on_progress, len(source)))
    if out:
        sinks.append(VideoSink(out, rate, exercise))
    frames = (Frame(f.image, f.index / fps, f.index) for f in source) if fps else source
    analysis = Analysis(exercise, source=str(path), fps=rate, size=source.size, model=model.name)
    if record:
        sinks.append(record(analysis))
    return Pipeline(model, exercise, sinks=sinks).run(frames, analysis)


def analyze_keypoints(path, exercise: Exercise, fps: float | None = None,
                      record: Callable[[Analysis], Sink] | None = None) -> Analysis:
    """A keypoint file (coach.keypoints) through the pipeline without the model, frame by frame
    as live. It is measured in the image size written beside it, else as a square image.
    `record` as for analyze_video."""
    from coach import keypoints

    series = keypoints.load(path, fps)
    size = (int(series.size[0, 0]), int(series.size[0, 1])) if len(series) else keypoints.image_size(path)
    rate = series.rate() or fps or 30.0
    analysis = Analysis(exercise, source=str(path), fps=float(rate), size=size)
    return Pipeline(None, exercise, sinks=[record(analysis)] if record else []).run_poses(series.poses(), analysis)


def analyze_poses(exercise: Exercise, poses: Iterable[tuple[Pose | None, float]],
                  analysis: Analysis | None = None) -> Analysis:
    """A stream of `(pose or None, t)` through the pipeline, frame by frame exactly as live, into
    `analysis` (pass one to say where the poses came from; a bare one by default)."""
    return Pipeline(None, exercise).run_poses(poses, analysis)
