"""Reading images and video: real timestamps, a reader thread, clear errors for bad files."""

import threading

import numpy as np
import pytest

from coach.errors import InputError
from coach.sources import read_image, read_video


def test_video_frames_carry_the_containers_timestamps(clips_dir):
    source = read_video(clips_dir / "jumping_jacks_11.mp4")
    frames = list(source)
    assert len(frames) == source.frame_count == 316
    times = np.array([f.t for f in frames])
    assert times[0] == 0.0
    # 23.976 fps: the frame index over a rounded 24 would drift by 0.5 s over the clip.
    np.testing.assert_allclose(np.diff(times), 1001 / 24000, atol=1e-3)
    assert [f.index for f in frames] == list(range(316))
    assert frames[0].image.shape == (360, 640, 3)


def test_stopping_early_ends_the_reader_thread(clips_dir):
    before = threading.active_count()
    for frame in read_video(clips_dir / "jumping_jacks_15.mp4"):
        if frame.index == 5:
            break
    assert threading.active_count() == before


def test_frames_are_rgb(shared):
    image = read_image(shared / "data" / "images" / "astronaut.png")
    # The astronaut's suit is orange: far more red than blue.
    centre = image[300:400, 150:350].reshape(-1, 3).mean(axis=0)
    assert centre[0] > centre[2] + 50


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_video(tmp_path / "nope.mp4")


def test_a_text_file_is_not_a_video(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("these are not frames")
    with pytest.raises(InputError, match="not a video"):
        read_video(fake)


def test_a_truncated_video_is_refused(tmp_path, clips_dir):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes((clips_dir / "squat_side_3.mp4").read_bytes()[:4000])
    with pytest.raises(InputError):
        read_video(broken)


def test_a_corrupt_image(tmp_path):
    fake = tmp_path / "photo.png"
    fake.write_bytes(b"\x89PNG but then nothing")
    with pytest.raises(InputError, match="not an image"):
        read_image(fake)
