"""Where frames come from: images and video files -> Frame(image RGB, t seconds).

Video is decoded on a reader thread into a short queue, so decoding overlaps inference and the
model never waits for the decoder. Times are the container's timestamps, not index / fps.
"""

from __future__ import annotations

import logging
import queue
import threading
import warnings
from pathlib import Path

import cv2
import numpy as np

from coach.errors import InputError
from coach.types import Frame

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
# Frames the reader thread decodes ahead of the consumer.
READ_AHEAD = 8
MAX_FPS = 1000
# The most pixels an image may have: each copy of a 50-megapixel RGB image is 150 MB, and
# reading, converting and drawing one makes four (phones' largest photos are 50 to 200 MP).
MAX_IMAGE_PIXELS = 50_000_000

log = logging.getLogger(__name__)


def check_exists(path) -> Path:
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    return path


def check_pixels(path: Path) -> None:
    """Refuse an image whose header (read by Pillow, which decodes no pixel to read it) claims
    more than MAX_IMAGE_PIXELS."""
    from PIL import Image, UnidentifiedImageError

    too_many = f"over the {MAX_IMAGE_PIXELS // 1_000_000} million pixels coach decodes: scale it down"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused by our own limit
            with Image.open(path) as image:
                width, height = image.size
    except Image.DecompressionBombError as error:  # Pillow's own limit, far over ours
        raise InputError(f"{path}: {too_many} ({error})") from None
    except (OSError, ValueError, SyntaxError, UnidentifiedImageError) as error:
        raise InputError(f"{path}: not an image that can be read ({error})") from None
    if width * height > MAX_IMAGE_PIXELS:
        raise InputError(f"{path}: {width} x {height} pixels, {too_many}")


def is_image(path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def read_image(path) -> np.ndarray:
    """An image file as RGB uint8 (H, W, 3); refused before it is decoded where its header
    claims more than MAX_IMAGE_PIXELS (a 30000 x 30000 PNG of 1 MB decodes to 2.7 GB)."""
    path = check_exists(path)
    check_pixels(path)
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise InputError(f"{path}: not an image that can be read")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


class VideoSource:
    """A video file, iterated as Frames with their real timestamps.

    Opening reads the first frame, so a file that is not a video, or is corrupt from the start,
    fails here with an InputError rather than yielding nothing.
    """

    def __init__(self, path):
        self.path = check_exists(path)
        capture = self.open()
        fps = capture.get(cv2.CAP_PROP_FPS)
        self.fps = fps if 0 < fps <= MAX_FPS else 0.0  # NaN, 0 or absurd: unknown
        # 0 when unknown: a raw H.264 stream (even renamed .mp4) gives a negative count.
        count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if 0 < count < 2**31 else 0
        self.size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        ok, _ = capture.read()
        capture.release()
        if not ok:
            raise InputError(f"{self.path}: not a video, or no frame in it could be decoded")

    def open(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not capture.isOpened():
            raise InputError(f"{self.path}: not a video that can be read")
        return capture

    def __len__(self) -> int:
        """The container's frame count; 0 when it does not say."""
        return self.frame_count

    def __iter__(self):
        frames: queue.Queue = queue.Queue(maxsize=READ_AHEAD)
        stop = threading.Event()
        reader = threading.Thread(target=self.read_into, args=(frames, stop), daemon=True, name="video-reader")
        reader.start()
        try:
            while (item := frames.get()) is not None:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            stop.set()
            # Unblock a reader waiting on a full queue so the thread ends with us.
            while reader.is_alive():
                try:
                    frames.get(timeout=0.05)
                except queue.Empty:
                    pass

    def read_into(self, frames: queue.Queue, stop: threading.Event):
        capture = self.open()
        index = 0
        previous_t = -1.0
        try:
            while not stop.is_set():
                ok, image = capture.read()
                if not ok:
                    if index < self.frame_count:
                        log.warning("%s: decoding stopped at frame %d of the %d the file lists: it may be "
                                    "truncated or damaged; the counts are from those %d frames",
                                    self.path, index, self.frame_count, index)
                    break
                t = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                # Some containers report no time for a frame; never let time stand still or run back.
                if t <= previous_t:
                    t = previous_t + (1.0 / self.fps if self.fps else 1 / 30)
                previous_t = t
                frames.put(Frame(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), t, index))
                index += 1
        except Exception as error:  # noqa: BLE001 - handed to the consumer, which raises it
            frames.put(InputError(f"{self.path}: decoding failed at frame {index}: {error}"))
        finally:
            capture.release()
            frames.put(None)


def read_video(path) -> VideoSource:
    return VideoSource(path)
