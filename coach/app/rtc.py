"""The live page's WebRTC transport: what aiortc (under streamlit-webrtc) does to each frame on its
way to the live worker.

aiortc's video jitter buffer hands a frame to the decoder only when the first packet of the next
frame arrives (it finds a frame's end by the change of RTP timestamp), so every frame waited a
whole frame interval for nothing: 33 ms of the 137 ms camera-to-screen at 30 fps
(benchmarks/live_delay.py). The sender marks each frame's last packet (the RTP marker bit, RFC
7741 for VP8, RFC 6184 for H.264); `FrameEndJitterBuffer` hands the frame over when that packet
arrives and the frame's packets before it are all there (a packet lost waits for its
retransmission, as before); a sender that marks no frame's end gets aiortc's rule. aiortc makes
its receivers' buffers from the name `JitterBuffer` in its module `aiortc.rtcrtpreceiver`, so
`install()` points that name at this one; aiortc is pinned in constraints.txt, and
tests/test_rtc.py checks that its receivers take it.
"""

from __future__ import annotations

from aiortc import rtcrtpreceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame


class FrameEndJitterBuffer(JitterBuffer):
    """aiortc's jitter buffer, with a video frame complete at its marked last packet."""

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        if self._is_video and self._origin is not None:
            packets = []
            for count in range(self.capacity):
                packet = self._packets[(self._origin + count) % self.capacity]
                if packet is None or (packets and packet.timestamp != packets[0].timestamp):
                    break  # a packet missing, or no marked end: aiortc's rule decides
                packets.append(packet)
                if packet.marker:
                    self.remove(count + 1)
                    return JitterFrame(data=b"".join(p._data for p in packets), timestamp=packet.timestamp)
        return super()._remove_frame(sequence_number)


def install() -> None:
    """Make aiortc's receivers from now on assemble frames with FrameEndJitterBuffer."""
    rtcrtpreceiver.JitterBuffer = FrameEndJitterBuffer
