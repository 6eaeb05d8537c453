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

Between the receiver, the worker's callback and the sender, streamlit-webrtc passes frames through
aiortc's MediaRelay, whose queues keep every frame: when the server stalled (2 s once, on a machine
with 2 cores and a load of 10), the frames that waited were all drawn, encoded and sent late, in a
burst, and Chromium, seeing frames arrive 2 s behind their timestamps, grew its jitter buffer to
match and showed the video 1.7-2.5 s late for 6 s after. `BrowserGetsNewestRelay` still gives the
callback every frame (the counter may need the frames that waited, and the worker's mailbox drops
what it cannot analyse), but the sender only the newest drawn frame: after a stall the next frame
out is the newest one in. `install()` has streamlit-webrtc make its relay from it.
"""

from __future__ import annotations

from aiortc import rtcrtpreceiver
from aiortc.contrib.media import MediaRelay
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from streamlit_webrtc import relay
from streamlit_webrtc.process import AsyncMediaProcessTrack, MediaProcessTrack


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


class BrowserGetsNewestRelay(MediaRelay):
    """aiortc's relay, with no queue after the callback: a sender that fell behind gets the
    newest drawn frame (the callback's output is streamlit-webrtc's process track)."""

    def subscribe(self, track, buffered: bool = True):
        drawn = isinstance(track, (MediaProcessTrack, AsyncMediaProcessTrack))
        return super().subscribe(track, buffered=buffered and not drawn)


def install() -> None:
    """Make aiortc's receivers from now on assemble frames with FrameEndJitterBuffer, and
    streamlit-webrtc's relay (made on the first stream) a BrowserGetsNewestRelay."""
    rtcrtpreceiver.JitterBuffer = FrameEndJitterBuffer
    relay.MediaRelay = BrowserGetsNewestRelay
