"""A keypoint chunk as bytes in the keypoints table: np.savez_compressed of t float64 [n]
(seconds), xys float32 [n,17,3] (Pose.keypoints: x px, y px, score), size int32 [n,2]
(width, height) and present bool [n] (False where the frame had no pose)."""

from __future__ import annotations

import io
from collections.abc import Iterable

import numpy as np

from coach.keypoints import KeypointSeries


def pack(series: KeypointSeries) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, t=series.t, xys=series.xys, size=series.size, present=series.present)
    return buffer.getvalue()


def unpack(blobs: Iterable[bytes]) -> KeypointSeries:
    """The chunks, in order, as one series."""
    parts = [np.load(io.BytesIO(bytes(blob))) for blob in blobs]
    if not parts:
        return KeypointSeries.empty()
    return KeypointSeries(*(np.concatenate([p[name] for p in parts]) for name in ("t", "xys", "size", "present")))
