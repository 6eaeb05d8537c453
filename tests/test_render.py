"""Drawing only reads results: the skeleton over a copy of the image, keypoints under the score
threshold left out, the person label inside the image, and the MP4 and GIF writers' sizes and rates."""

import cv2
import imageio.v2 as imageio
import numpy as np
import pytest

from coach.errors import InputError
from coach.pose.skeleton import Keypoint as K
from coach.render import POINT_COLOUR, SIDE_COLOURS, VideoWriter, draw_person_label, draw_pose
from coach.types import Pose


def test_the_skeleton_is_drawn_on_a_copy_where_both_ends_are_seen():
    image = np.zeros((200, 300, 3), np.uint8)
    keypoints = np.zeros((17, 3), np.float32)
    keypoints[K.left_shoulder] = (100, 50, 0.9)
    keypoints[K.left_elbow] = (100, 150, 0.9)
    keypoints[K.right_shoulder] = (200, 50, 0.9)
    keypoints[K.right_elbow] = (200, 150, 0.05)  # under the tutorial's threshold: not drawn
    drawn = draw_pose(image, Pose(keypoints, (300, 200)))
    assert not image.any()
    assert tuple(drawn[100, 100]) == SIDE_COLOURS["left"]  # midway along the left upper arm
    assert tuple(drawn[50, 100]) == POINT_COLOUR
    assert tuple(drawn[50, 150]) == SIDE_COLOURS["centre"]  # shoulder to shoulder
    assert not drawn[100, 195:206].any() and not drawn[145:156, 195:206].any()


def test_an_mp4_keeps_every_frame_at_even_sides(tmp_path):
    with VideoWriter(tmp_path / "out.mp4", fps=30) as writer:
        for i in range(12):
            writer.write(np.full((101, 151, 3), 20 * i, np.uint8))
    video = cv2.VideoCapture(str(tmp_path / "out.mp4"))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 12
    assert (video.get(cv2.CAP_PROP_FRAME_WIDTH), video.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (150, 100)


def test_a_gif_is_at_most_480_wide_and_15_frames_a_second(tmp_path):
    with VideoWriter(tmp_path / "out.gif", fps=30) as writer:
        for i in range(30):
            writer.write(np.full((360, 960, 3), 8 * i, np.uint8))
    frames = imageio.mimread(tmp_path / "out.gif")
    assert len(frames) == 15 and frames[0].shape[:2] == (180, 480)


def test_an_overlay_video_must_be_mp4_or_gif(tmp_path):
    with pytest.raises(InputError, match=r"out\.avi: an overlay video must end in \.mp4 or \.gif"):
        VideoWriter(tmp_path / "out.avi", fps=30)


def test_the_label_sits_above_the_person_inside_the_image():
    image = np.zeros((400, 600, 3), np.uint8)
    labelled = draw_person_label(image, (250.0, 150.0, 350.0, 380.0), "#3: 7 reps")
    changed = np.argwhere(labelled.any(axis=2))
    assert changed[:, 0].max() < 150  # above the box's top
    assert 200 < changed[:, 1].mean() < 400  # centred over it
    assert not image.any()  # drawing only reads its input
    # A person at the top edge: the label is pushed inside the image rather than cut off.
    top = draw_person_label(image, (0.0, 0.0, 80.0, 200.0), "#1: 0 reps")
    assert top[:, :, :].any() and top[0:40].any()
    assert draw_person_label(image, None, "#1") is image
