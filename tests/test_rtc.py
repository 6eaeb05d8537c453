"""The live page's WebRTC transport (coach.app.rtc): a video frame goes to the decoder when its
last packet arrives, not a frame later (real VP8 frames from aiortc's own encoder, packetised as
its sender does, the marker bit on each frame's last packet), and a stage that fell behind takes
the newest frame, not the oldest waiting."""

import asyncio
from fractions import Fraction

import av
import numpy as np
import pytest
from aiortc import RTCCertificate, RTCDtlsTransport, RTCIceGatherer, RTCIceTransport, rtcrtpreceiver
from aiortc.codecs import depayload, get_decoder
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket
from streamlit_webrtc import relay
from streamlit_webrtc.models import CallbackAttachableProcessor
from streamlit_webrtc.process import VideoProcessTrack

from coach.app import rtc

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)


def frames(count: int) -> list[list[RtpPacket]]:
    """`count` consecutive 640x480 VP8 frames (noise, so each takes many packets), as RTP packets
    with their payloads depayloaded as aiortc's receiver does before its jitter buffer."""
    encoder, rng, sequence, out = Vp8Encoder(), np.random.default_rng(0), 1000, []
    for i in range(count):
        image = av.VideoFrame.from_ndarray(rng.integers(0, 256, (480, 640, 3), np.uint8), format="rgb24")
        image.pts, image.time_base = i * 3000, Fraction(1, 90000)
        payloads, timestamp = encoder.encode(image)
        packets = []
        for j, payload in enumerate(payloads):
            packet = RtpPacket(payload_type=96, sequence_number=sequence, timestamp=timestamp,
                               marker=int(j == len(payloads) - 1), payload=payload)
            packet._data = depayload(VP8, payload)
            packets.append(packet)
            sequence += 1
        out.append(packets)
    return out


def feed(buffer: JitterBuffer, packets: list[RtpPacket]) -> list:
    """What the buffer hands over after each packet (None while a frame is incomplete)."""
    return [buffer.add(packet)[1] for packet in packets]


def test_a_frame_is_handed_over_at_its_marked_last_packet_and_decodes():
    first, second = frames(2)
    assert len(first) > 3
    ours = feed(rtc.FrameEndJitterBuffer(capacity=512, is_video=True), first)
    assert ours[:-1] == [None] * (len(first) - 1) and ours[-1] is not None
    assert ours[-1].data == b"".join(p._data for p in first)
    decoded = get_decoder(VP8).decode(ours[-1])
    assert [(f.width, f.height) for f in decoded] == [(640, 480)]
    # aiortc's own buffer holds it until the next frame's first packet: a frame interval later.
    theirs = JitterBuffer(capacity=512, is_video=True)
    assert feed(theirs, first) == [None] * len(first)
    assert feed(theirs, second[:1])[0].data == ours[-1].data


def test_a_frame_with_a_packet_missing_waits_for_it():
    (first,) = frames(1)
    buffer = rtc.FrameEndJitterBuffer(capacity=512, is_video=True)
    assert feed(buffer, first[:1] + first[2:]) == [None] * (len(first) - 1)
    (frame,) = feed(buffer, first[1:2])  # the retransmission
    assert frame.data == b"".join(p._data for p in first)


def test_a_frame_without_a_marked_packet_is_ended_by_the_next_frame_as_aiortc_does():
    first, second = frames(2)
    first[-1].marker = 0  # a sender that marks no frame's end
    buffer = rtc.FrameEndJitterBuffer(capacity=512, is_video=True)
    assert feed(buffer, first) == [None] * len(first)
    handed = feed(buffer, second)
    assert handed[0].data == b"".join(p._data for p in first)
    assert handed[1:-1] == [None] * (len(second) - 2)
    assert handed[-1].data == b"".join(p._data for p in second)


def test_audio_is_left_as_aiortc_buffers_it():
    packets = [RtpPacket(sequence_number=n, timestamp=960 * n, marker=1, payload=b"x") for n in range(8)]
    for packet in packets:
        packet._data = packet.payload
    ours, theirs = rtc.FrameEndJitterBuffer(capacity=16, prefetch=4), JitterBuffer(capacity=16, prefetch=4)
    assert [f and f.timestamp for f in feed(ours, packets)] == [f and f.timestamp for f in feed(theirs, packets)]


@pytest.fixture
def undone(monkeypatch):
    """What install() changes, put back after the test."""
    monkeypatch.setattr(rtcrtpreceiver, "JitterBuffer", rtcrtpreceiver.JitterBuffer)
    monkeypatch.setattr(relay, "MediaRelay", relay.MediaRelay)


def test_aiortc_receivers_are_made_with_it_once_installed(undone):
    transport = RTCDtlsTransport(RTCIceTransport(RTCIceGatherer()), [RTCCertificate.generateCertificate()])
    assert type(rtcrtpreceiver.RTCRtpReceiver("video", transport)._RTCRtpReceiver__jitter_buffer) is JitterBuffer
    rtc.install()
    receiver = rtcrtpreceiver.RTCRtpReceiver("video", transport)
    assert isinstance(receiver._RTCRtpReceiver__jitter_buffer, rtc.FrameEndJitterBuffer)


def after_a_stall(made_with, drawn: bool) -> list:
    """The pts a relay's consumer gets: frame 0, then frames 1-5 that arrived while it was busy,
    then the stream's end; from the camera's track, or (drawn) from the callback's."""

    async def run():
        camera = rtcrtpreceiver.RemoteStreamTrack(kind="video")  # what aiortc's receiver feeds
        source = VideoProcessTrack(camera, CallbackAttachableProcessor(lambda frame: frame, None, None)) if drawn else camera
        consumer = made_with().subscribe(source)
        for pts in range(6):
            frame = av.VideoFrame(64, 48, "yuv420p")
            frame.pts, frame.time_base = pts, Fraction(1, 90000)
            camera._queue.put_nowait(frame)
        # wait_for: a relay whose task died fails the test instead of hanging it.
        got = [(await asyncio.wait_for(consumer.recv(), 10)).pts]
        camera._queue.put_nowait(None)
        try:
            while True:
                got.append((await asyncio.wait_for(consumer.recv(), 10)).pts)
        except MediaStreamError:
            got.append("ended")
        return got

    return asyncio.run(run())


def test_the_browser_gets_the_newest_drawn_frame_and_the_callback_every_frame():
    every = [0, 1, 2, 3, 4, 5, "ended"]
    assert after_a_stall(MediaRelay, drawn=True) == every  # aiortc's: every frame, late
    assert after_a_stall(rtc.BrowserGetsNewestRelay, drawn=True) == [5, "ended"]
    assert after_a_stall(rtc.BrowserGetsNewestRelay, drawn=False) == every


def test_streamlit_webrtc_makes_its_relay_from_it_once_installed(undone):
    assert relay.MediaRelay is MediaRelay
    rtc.install()
    assert relay.MediaRelay is rtc.BrowserGetsNewestRelay
