"""An uploaded video through the same causal path as `coach analyze` and the live camera, with a
progress callback for the page and the overlay written as H.264 MP4 for the browser.

(`coach.cli.analyze.analyze_video` reports progress through tqdm only; this is its loop with a
callback instead.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from coach.cli.analyze import CUE_SHOW_S
from coach.errors import InputError
from coach.exercises import Exercise
from coach.pose import PoseTracker
from coach.render import VideoWriter, draw_hud, draw_pose
from coach.session import Analysis, Session
from coach.sources import read_video

# How often the page hears of progress, in frames.
PROGRESS_EVERY = 10


def check_upload(name: str, size: int, types: tuple[str, ...], max_mb: int):
    """The same checks the upload widget makes, for files that reach us another way."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in types:
        raise InputError(f"{name}: not a video type coach reads (use {', '.join(types)})")
    if size > max_mb * 1024 * 1024:
        raise InputError(f"{name}: {size / 1024 / 1024:.0f} MB is over the {max_mb} MB limit for an upload")
    if size == 0:
        raise InputError(f"{name}: the file is empty")


def analyse_video(path, exercise: Exercise, model, out=None,
                  on_progress: Callable[[int, int], None] | None = None) -> Analysis:
    """Count `exercise` in a video; `on_progress(frames_done, frames_total)` now and then."""
    source = read_video(path)
    total = len(source)
    analysis = Analysis(exercise, source=str(path), fps=source.fps or 30.0, size=source.size, model=model.name)
    tracker = PoseTracker(model)
    session = Session(exercise)
    cue = None
    writer = VideoWriter(out, source.fps or 30.0) if out else None
    try:
        for frame in source:
            pose = tracker.update(frame)
            result = session.step(pose, frame.t)
            analysis.add(result)
            if writer:
                cue = result.cue or (cue if cue is not None and frame.t - cue.t < CUE_SHOW_S else None)
                writer.write(draw_hud(draw_pose(frame.image, pose), result, exercise, cue))
            if on_progress and (frame.index % PROGRESS_EVERY == 0):
                on_progress(frame.index + 1, total)
    finally:
        if writer:
            writer.close()
    if on_progress:
        on_progress(total or len(analysis.results), total)
    return analysis.finish()
