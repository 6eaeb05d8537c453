"""A keypoint chunk as bytes in the keypoints table: np.savez_compressed of t float64 [n]
(seconds), xys float32 [n,17,3] (Pose.keypoints: x px, y px, score), size int32 [n,2]
(width, height) and present bool [n] (False where the frame had no pose)."""

from __future__ import annotations

import io
import math
import zipfile
import zlib
from collections.abc import Iterable

import numpy as np

from coach.keypoints import KeypointSeries


def pack(series: KeypointSeries) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, t=series.t, xys=series.xys, size=series.size, present=series.present)
    return buffer.getvalue()


NAMES = ("t", "xys", "size", "present")
# A chunk holds about 10 s of frames (SessionRecorder.flush_s): 2 MB of keypoints even at 1000
# fps. An array larger than this is not one the recorder wrote.
MAX_ARRAY_BYTES = 64_000_000


def check(blob: bytes) -> KeypointSeries:
    """One chunk as a series; ValueError saying why where it is not one (never unpickles)."""
    if not isinstance(blob, bytes) or not blob[:4] == b"PK\x03\x04":  # np.load would try other bytes as a pickle
        raise ValueError("not a keypoint chunk (not an npz archive)")
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            arrays = {name: _array(archive, f"{name}.npy") for name in NAMES}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(f"not a keypoint chunk ({type(error).__name__}: {error})") from None
    kinds = {"t": "fiu", "xys": "fiu", "size": "iu", "present": "b"}
    wrong = [name for name in NAMES if arrays[name].dtype.kind not in kinds[name]]
    if wrong:
        raise ValueError(f"not a keypoint chunk ({wrong[0]} is {arrays[wrong[0]].dtype})")
    try:
        return KeypointSeries(*(arrays[name] for name in NAMES))
    except (TypeError, ValueError) as error:
        raise ValueError(f"not a keypoint chunk ({error})") from None


def _array(archive: zipfile.ZipFile, member: str) -> np.ndarray:
    """One array of the archive, refused from its header where it would inflate past
    MAX_ARRAY_BYTES: a zip member inflates as it is read (zlib's decompressobj with max_length),
    so a 2 MB bomb never grows to its 2 GB."""
    with archive.open(member) as file:
        version = np.lib.format.read_magic(file)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(file)
    size = math.prod(shape) * dtype.itemsize
    if size > MAX_ARRAY_BYTES:
        raise ValueError(f"{member} would inflate to {size:,} bytes, over the {MAX_ARRAY_BYTES:,} of a chunk")
    with archive.open(member) as file:
        return np.lib.format.read_array(file, allow_pickle=False)


def unpack(blobs: Iterable[bytes]) -> KeypointSeries:
    """The chunks, in order, as one series; ValueError where one is damaged."""
    parts = [check(blob) for blob in blobs]
    if not parts:
        return KeypointSeries.empty()
    return KeypointSeries(*(np.concatenate([getattr(p, name) for p in parts]) for name in NAMES))
