"""A whole analysed input: every FrameResult of a file (or a stored session counted again) in
order, where it came from, and its tables."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from coach.exercises import Exercise
from coach.holds import timed_sets
from coach.types import FrameResult, RepEvent


@dataclass
class Analysis:
    """A whole analysed input: every FrameResult in order, and where it came from.

    `source` is the file, `fps` its frame rate, `size` the (width, height) the pixels refer to,
    `model` the pose model (None for a keypoint file). `view` the camera view the person was
    seen from ('front', 'side' or None; coach.camera_view.SessionView decides it as the pipeline
    runs). `warnings` say why a count may be empty.
    """

    exercise: Exercise
    source: str = ""
    fps: float = math.nan
    size: tuple[int, int] = (1, 1)
    model: str | None = None
    view: str | None = None
    results: list[FrameResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, result: FrameResult):
        self.results.append(result)

    def finish(self) -> Analysis:
        """Note why nothing may have been counted."""
        if not self.results:
            self.warnings.append("no frames")
        elif not any(r.visible for r in self.results):
            needed = ", ".join(p.value for p in self.exercise.visibility.keypoints)
            self.warnings.append(f"no person was seen in any frame (the {self.exercise.name.lower()} needs {needed} in view)")
        elif sum(r.visible for r in self.results) < len(self.results) / 2:
            self.warnings.append("too little of the person was seen to count")
        elif self.exercise.hold is not None:
            if not self.holds:
                self.warnings.append("no held position was found")
        elif self.count == 0:
            self.warnings.append("no repetition was found")
        return self

    @property
    def reps(self) -> list[RepEvent]:
        return [r.rep for r in self.results if r.rep is not None]

    @property
    def count(self) -> int:
        return self.results[-1].reps if self.results else 0

    @property
    def sets(self) -> int:
        return self.results[-1].sets if self.results else 0

    def tables(self):
        """(per-frame, per-rep, per-session) DataFrames."""
        from coach.metrics import frames_table

        return frames_table(self.results), self.reps_table(), self.session_table()

    def reps_table(self):
        from coach.metrics import reps_table

        return reps_table(self.reps)

    def session_table(self):
        from coach.metrics import session_table

        return session_table(self.exercise.id, self.results, self.reps)

    def summary(self) -> dict:
        """The JSON-ready result: exercise, reps, sets, duration_s, frames, fps, reps_detail, warnings,
        and the swings not counted (`rejected`: when each ended, and why)."""
        session = self.session_table().iloc[0]
        detail = self.reps_table().round(3)
        return {
            "exercise": self.exercise.id,
            "reps": int(session["reps"]),
            "sets": len(self.holds) if self.exercise.hold is not None else int(session["sets"]),
            "duration_s": round(float(session["duration_s"]), 3),
            "frames": len(self.results),
            "fps": round(float(self.fps), 3) if math.isfinite(self.fps) else None,
            "reps_detail": [{**{k: _plain(v) for k, v in row.items()}, "flags": [f for f in row["flags"].split(",") if f]}
                            for row in detail.to_dict("records")],
            "warnings": list(self.warnings),
            "rejected": [{"t": round(r.rejected_t, 3), "reason": r.rejected} for r in self.results if r.rejected],
            # A hold exercise only: the time held per set.
            **({"holds": [{"set": h.index + 1, "start_t": round(h.start_t, 3), "end_t": round(h.end_t, 3),
                           "held_s": round(h.held_s, 3), "target_s": h.target_s, "reached": h.reached}
                          for h in self.holds]} if self.exercise.hold is not None else {}),
        }

    @property
    def holds(self) -> list:
        """A hold exercise's sets (HoldSet), each as last seen: the one going on at the end too."""
        return timed_sets(self.results)


def _plain(value):
    """A table cell as plain JSON: numpy numbers as Python ones, NaN as None, flags as a list."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
