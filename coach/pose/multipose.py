"""MoveNet MultiPose Lightning: up to six people in one image, each a Pose with a box and a score.

The model sees the whole frame letterboxed to 256 x 256 (this conversion has a fixed input size),
through the same preprocessing and (y, x) -> pixel adapter as the single-pose models.
"""

from __future__ import annotations

import os

import numpy as np

from dataclasses import dataclass

from coach.errors import ModelError
from coach.pose.models import resolve
from coach.pose.layout import pixels_from_movenet
from coach.pose.movenet import TFLiteRunner, crop_input, full_frame
from coach.types import Pose

# Rows of the [6, 56] output whose person score is below this are empty slots (TF Hub's
# MultiPose examples draw people above 0.2).
MIN_PERSON_SCORE = 0.2


@dataclass(frozen=True, slots=True)
class Detected:
    """One person MultiPose found: their Pose, their box (x0, y0, x1, y1) in the image's pixels,
    and the model's person score 0..1."""

    pose: Pose
    box: tuple[float, float, float, float]
    score: float


class MultiPoseModel:
    """One loaded MultiPose model: `predict(image) -> list[Detected]`, best person first."""

    def __init__(self, name: str = "multipose", threads: int | None = None):
        variant, path = resolve(name)
        if variant.kind not in ("multipose", "tflite"):
            raise ModelError(f"{variant.name!r} is not a MultiPose model")
        self.name = variant.name
        self.path = path
        self.run = TFLiteRunner(path, threads or os.cpu_count() or 1)
        self.input_size = self.run.input_size
        shape = self.run.interpreter.get_output_details()[0]["shape"]
        if shape[-1] != 56:
            raise ModelError(f"{path} is not a MultiPose model: its output is {list(shape)}, not [1, 6, 56]")

    def predict(self, image: np.ndarray) -> list[Detected]:
        """Every person found in an RGB uint8 image, best score first."""
        height, width = image.shape[:2]
        crop = full_frame(width, height)
        rows = self.run.output(crop_input(image, crop, self.input_size)).reshape(-1, 56)
        x0, y0, x1, _ = crop
        people = []
        for row in rows[rows[:, 55] >= MIN_PERSON_SCORE]:
            keypoints = pixels_from_movenet(row[:51].reshape(17, 3), (x1 - x0, x1 - x0), (x0, y0))
            # The box (ymin, xmin, ymax, xmax) as two more (y, x) points through the same adapter.
            corners = pixels_from_movenet(np.array([[*row[51:53], 1], [*row[53:55], 1]]), (x1 - x0, x1 - x0), (x0, y0))
            box = (*corners[0, :2], *corners[1, :2])
            people.append(Detected(Pose(keypoints, (width, height)), tuple(float(v) for v in box), float(row[55])))
        return sorted(people, key=lambda d: -d.score)
