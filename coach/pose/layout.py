"""MoveNet's keypoint layout, (y, x, score) normalised 0..1, to and from coach's pixel (x, y, score):
the one adapter, vectorised over any leading axes. No cv2 or model runtime here, so keypoint files
and the store read without them."""

from __future__ import annotations

import numpy as np


def pixels_from_movenet(yxs: np.ndarray, size, origin=(0, 0)) -> np.ndarray:
    """MoveNet's [..., 17, 3] of (y, x, score), normalised 0..1 over a region of `size`
    (width, height) whose top left is `origin`, as float32 pixels [..., 17, 3] of (x, y, score).
    The one place MoveNet's (y, x) order is turned round; `movenet_from_pixels` undoes it."""
    yxs = np.asarray(yxs, dtype=np.float32)
    xys = np.stack([origin[0] + yxs[..., 1] * size[0], origin[1] + yxs[..., 0] * size[1], yxs[..., 2]], axis=-1)
    return xys.astype(np.float32)


def movenet_from_pixels(xys: np.ndarray, size) -> np.ndarray:
    """Pixels [..., 17, 3] of (x, y, score) over images of `size` (width, height; per frame as
    [..., 2] or one pair) back to MoveNet's normalised (y, x, score), float32."""
    if isinstance(size, np.ndarray):  # per frame: broadcast over the 17 keypoints
        width = np.maximum(size[..., 0], 1).astype(np.float32)[..., None]
        height = np.maximum(size[..., 1], 1).astype(np.float32)[..., None]
    else:
        width, height = size
    return np.stack([xys[..., 1] / height, xys[..., 0] / width, xys[..., 2]], axis=-1).astype(np.float32)
