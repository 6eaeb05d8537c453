"""Stage clocks inside `coach app` for benchmarks/live_delay.py: imported by a sitecustomize that
the benchmark puts on the server's PYTHONPATH, never by coach itself.

It wraps aiortc's video jitter buffer, decoder and encoder and the live worker's callback, reads
the clock stamp the benchmark's camera paints into each frame (24 blocks, see live_delay.py)
from the pixels at each stage, and appends one JSON line per stage and frame to the file named
by COACH_DELAY_PROBE: {"stage": ..., "stamp": ms (Date.now() mod 2**24), then epoch ms}.
Stages: "decoded" (first and last packet's arrival, the jitter buffer's release, decode start and
end), "callback" (start, end), "encoded" (start, end, bytes), and "undecoded" for an encoded frame
the decoder refused or gave no picture for (no stamp).
"""

from __future__ import annotations

import json
import os
import threading
import time

import numpy as np

BITS = 24
PATH = os.environ.get("COACH_DELAY_PROBE")
_lock = threading.Lock()


def now_ms() -> float:
    return time.time() * 1000.0


def emit(record: dict) -> None:
    with _lock, open(PATH, "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def stamp(frame) -> int:
    """The painted clock of an av.VideoFrame: a bit is white where most of the inside of its block
    is bright, so that the skeleton the overlay draws across a block does not flip it."""
    if frame.format.name not in ("yuv420p", "yuvj420p", "nv12"):
        frame = frame.reformat(format="yuv420p")
    plane = frame.planes[0]
    luma = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)
    sx, sy = frame.width / 640, frame.height / 480
    band = luma[int(210 * sy):int(270 * sy)]
    value = 0
    for i in range(BITS):
        inside = band[:, int((84 + i * 20) * sx):int((96 + i * 20) * sx)]
        if np.mean(inside > 128) > 0.5:
            value |= 1 << i
    return value


def install() -> None:
    from aiortc import jitterbuffer, rtcrtpreceiver, rtcrtpsender

    base_add = jitterbuffer.JitterBuffer.add
    arrivals: dict[int, list[float]] = {}

    def add(self, packet):
        t = now_ms()
        if self._is_video:
            seen = arrivals.setdefault(packet.timestamp, [t, t])
            if packet.marker:
                seen[1] = t
        pli, frame = base_add(self, packet)
        if frame is not None and self._is_video:
            first, last = arrivals.pop(frame.timestamp, [t, t])
            frame.probe = {"first": first, "last": last, "released": now_ms()}
            for old in [k for k in arrivals if abs(k - frame.timestamp) > 90000 * 5]:
                arrivals.pop(old)
        return pli, frame

    jitterbuffer.JitterBuffer.add = add

    base_get_decoder = rtcrtpreceiver.get_decoder

    def get_decoder(codec):
        decoder = base_get_decoder(codec)
        if codec.mimeType.startswith("audio"):
            return decoder
        base_decode = decoder.decode

        def decode(encoded_frame):
            start = now_ms()
            try:
                frames = base_decode(encoded_frame)
            except Exception as error:
                emit({"stage": "undecoded", "stamp": None, "bytes": len(encoded_frame.data), "error": str(error)})
                raise
            end = now_ms()
            if not frames:
                emit({"stage": "undecoded", "stamp": None, "bytes": len(encoded_frame.data)})
            for frame in frames:
                emit({"stage": "decoded", "stamp": stamp(frame), "start": start, "end": end,
                      "width": frame.width, **getattr(encoded_frame, "probe", {})})
            return frames

        decoder.decode = decode
        return decoder

    rtcrtpreceiver.get_decoder = get_decoder

    base_get_encoder = rtcrtpsender.get_encoder

    def get_encoder(codec):
        encoder = base_get_encoder(codec)
        if codec.mimeType.startswith("audio"):
            return encoder
        base_encode = encoder.encode

        def encode(frame, force_keyframe=False):
            start = now_ms()
            payloads, timestamp = base_encode(frame, force_keyframe)
            emit({"stage": "encoded", "stamp": stamp(frame), "start": start, "end": now_ms(),
                  "bytes": sum(len(p) for p in payloads), "codec": codec.mimeType})
            return payloads, timestamp

        encoder.encode = encode
        return encoder

    rtcrtpsender.get_encoder = get_encoder

    from coach.app import worker

    base_callback = worker.LiveWorker.callback

    def callback(self, av_frame):
        start = now_ms()
        out = base_callback(self, av_frame)
        emit({"stage": "callback", "stamp": stamp(av_frame), "start": start, "end": now_ms(),
              "thread": threading.current_thread().name})
        return out

    worker.LiveWorker.callback = callback


if PATH:
    install()
