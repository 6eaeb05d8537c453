"""A keypoint chunk as bytes in the keypoints table: np.savez_compressed of t float64 [n]
(seconds), xys float32 [n,17,3] (Pose.keypoints: x px, y px, score), size int32 [n,2]
(width, height) and present bool [n] (False where the frame had no pose)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

import numpy as np

from coach.keypoints import KeypointSeries


def pack(series: KeypointSeries) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, t=series.t, xys=series.xys, size=series.size, present=series.present)
    return buffer.getvalue()


NAMES = ("t", "xys", "size", "present")


def check(blob: bytes) -> KeypointSeries:
    """One chunk as a series; ValueError saying why where it is not one (never unpickles)."""
    if not bytes(blob[:4]) == b"PK\x03\x04":  # np.load would take other bytes for a pickle (and refuse it)
        raise ValueError("not a keypoint chunk (not an npz archive)")
    try:
        with np.load(io.BytesIO(bytes(blob)), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in NAMES}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"not a keypoint chunk ({type(error).__name__}: {error})") from None
    kinds = {"t": "fiu", "xys": "fiu", "size": "iu", "present": "b"}
    wrong = [name for name in NAMES if arrays[name].dtype.kind not in kinds[name]]
    if wrong:
        raise ValueError(f"not a keypoint chunk ({wrong[0]} is {arrays[wrong[0]].dtype})")
    try:
        return KeypointSeries(*(arrays[name] for name in NAMES))
    except (TypeError, ValueError) as error:
        raise ValueError(f"not a keypoint chunk ({error})") from None


def unpack(blobs: Iterable[bytes]) -> KeypointSeries:
    """The chunks, in order, as one series; ValueError where one is damaged."""
    parts = [check(blob) for blob in blobs]
    if not parts:
        return KeypointSeries.empty()
    return KeypointSeries(*(np.concatenate([getattr(p, name) for p in parts]) for name in NAMES))
