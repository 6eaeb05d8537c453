"""MoveNet inference: letterboxing and cropping with OpenCV, the two runtimes, and crop tracking.

This is the only module that imports LiteRT or TensorFlow, and it does so lazily: the TFLite
variants never load TensorFlow.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from coach.errors import ModelError
from coach.pose.layout import pixels_from_movenet
from coach.pose.models import Variant, resolve
from coach.pose.skeleton import TORSO, Keypoint
from coach.types import Frame, Pose

# A crop region: a square (x0, y0, x1, y1) in the image's pixels; it may reach past the edges,
# where the model sees black, exactly like tf.image.resize_with_pad's padding.
Crop = tuple[float, float, float, float]

# The tutorial's thresholds for crop tracking.
MIN_CROP_KEYPOINT_SCORE = 0.2


def full_frame(width: int, height: int) -> Crop:
    """The square around the whole image, centred: the letterbox of tf.image.resize_with_pad."""
    side = max(width, height)
    x0, y0 = (width - side) / 2, (height - side) / 2
    return (x0, y0, x0 + side, y0 + side)


def crop_input(image: np.ndarray, crop: Crop, size: int) -> np.ndarray:
    """The model's uint8 (size, size, 3) input: the crop resized bilinearly, black outside the image.

    One affine warp does the crop, the resize and the padding; pixel centres sit at +0.5 as in
    TensorFlow's resize (half_pixel_centers), so the result matches resize_with_pad.
    """
    x0, y0, x1, _ = crop
    scale = size / (x1 - x0)
    matrix = np.array([[scale, 0, scale * (0.5 - x0) - 0.5], [0, scale, scale * (0.5 - y0) - 0.5]], dtype=np.float64)
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


class TFLiteRunner:
    """A .tflite MoveNet on ai-edge-litert (XNNPACK on the CPU)."""

    def __init__(self, path, threads: int):
        from ai_edge_litert.interpreter import Interpreter

        try:
            self.interpreter = Interpreter(model_path=str(path), num_threads=threads)
            self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            raise ModelError(f"cannot load {path} as a TFLite model: {error}") from None
        source = self.interpreter.get_input_details()[0]
        self.input_index, self.dtype = source["index"], source["dtype"]
        self.input_size = int(source["shape"][1])
        self.output_index = self.interpreter.get_output_details()[0]["index"]

    def __call__(self, image: np.ndarray) -> np.ndarray:
        return self.output(image).reshape(17, 3)

    def output(self, image: np.ndarray) -> np.ndarray:
        """The model's raw output tensor for one input image (MultiPose's is [1, 6, 56])."""
        self.interpreter.set_tensor(self.input_index, image[np.newaxis].astype(self.dtype, copy=False))
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output_index)


class HubRunner:
    """A MoveNet SavedModel from TF Hub, loaded as the tutorial's `tensorflow_hub.load` loads a
    folder (it is `tf.saved_model.load` then): TensorFlow alone runs it, the `hub` extra's."""

    def __init__(self, path):
        import tensorflow as tf

        try:
            self.signature = tf.saved_model.load(str(path)).signatures["serving_default"]
        except (OSError, ValueError, KeyError) as error:
            raise ModelError(f"cannot load {path} as a MoveNet SavedModel: {error}") from None
        self.tf = tf
        self.input_size = int(self.signature.structured_input_signature[1]["input"].shape[1])

    def __call__(self, image: np.ndarray) -> np.ndarray:
        batch = self.tf.constant(image[np.newaxis], dtype=self.tf.int32)
        return self.signature(input=batch)["output_0"].numpy().reshape(17, 3)


class PoseModel:
    """One loaded MoveNet: `predict(image, crop)` gives a Pose in the image's pixels."""

    def __init__(self, variant: Variant, path, threads: int | None = None):
        self.name = variant.name
        self.path = path
        if variant.kind == "multipose":
            raise ModelError(f"{variant.name!r} finds several people: use it with `coach analyze --people all` "
                             "or `--model multipose`")
        if variant.kind == "tflite":
            self.run = TFLiteRunner(path, threads or os.cpu_count() or 1)
        else:
            self.run = HubRunner(path)
        self.input_size = self.run.input_size

    def predict(self, image: np.ndarray, crop: Crop | None = None) -> Pose:
        """Keypoints for an RGB uint8 image, looking at `crop` (the whole image when None)."""
        height, width = image.shape[:2]
        crop = crop or full_frame(width, height)
        yxs = self.run(crop_input(image, crop, self.input_size))
        x0, y0, x1, _ = crop
        side = x1 - x0
        return Pose(pixels_from_movenet(yxs, (side, side), (x0, y0)), (width, height), crop)


def load_model(name: str = "lightning", threads: int | None = None) -> PoseModel:
    """Load a MoveNet by variant name (see `coach.pose.models.VARIANTS`) or path."""
    variant, path = resolve(name)
    return PoseModel(variant, path, threads)


def next_crop(pose: Pose) -> Crop | None:
    """The tutorial's crop for the next frame: around the hips, wide enough for torso and body.

    None (the whole frame) when the torso is not seen, so a person who walks in is found again.
    """
    width, height = pose.size
    xy, score = pose.keypoints[:, :2], pose.keypoints[:, 2]
    hips_seen = max(score[Keypoint.left_hip], score[Keypoint.right_hip]) > MIN_CROP_KEYPOINT_SCORE
    shoulders_seen = max(score[Keypoint.left_shoulder], score[Keypoint.right_shoulder]) > MIN_CROP_KEYPOINT_SCORE
    if not (hips_seen and shoulders_seen):
        return None
    centre = (xy[Keypoint.left_hip] + xy[Keypoint.right_hip]) / 2
    torso_range = np.abs(xy[TORSO] - centre).max(axis=0)
    body = xy[score >= MIN_CROP_KEYPOINT_SCORE]
    body_range = np.abs(body - centre).max(axis=0)
    half = max(torso_range.max() * 1.9, body_range.max() * 1.2)
    half = min(half, max(centre[0], width - centre[0], centre[1], height - centre[1]))
    if half > max(width, height) / 2:
        return None
    x0, y0 = centre - half
    return (float(x0), float(y0), float(x0 + 2 * half), float(y0 + 2 * half))


class PoseTracker:
    """Pose over a video: each frame's crop follows the body found in the frame before.

    With `track=False` every frame is seen whole, as for independent images.
    """

    def __init__(self, model: PoseModel, track: bool = True):
        self.model = model
        self.track = track
        self.crop: Crop | None = None

    def update(self, frame: Frame) -> Pose:
        pose = self.model.predict(frame.image, self.crop)
        if self.track:
            self.crop = next_crop(pose)
        return pose
