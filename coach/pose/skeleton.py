"""MoveNet's 17 COCO keypoints: their names, order and the edges of the skeleton."""

from enum import IntEnum


class Keypoint(IntEnum):
    nose = 0
    left_eye = 1
    right_eye = 2
    left_ear = 3
    right_ear = 4
    left_shoulder = 5
    right_shoulder = 6
    left_elbow = 7
    right_elbow = 8
    left_wrist = 9
    right_wrist = 10
    left_hip = 11
    right_hip = 12
    left_knee = 13
    right_knee = 14
    left_ankle = 15
    right_ankle = 16


KEYPOINTS = [k.name for k in Keypoint]
TORSO = [Keypoint.left_shoulder, Keypoint.right_shoulder, Keypoint.left_hip, Keypoint.right_hip]

# Edges of the tutorial's skeleton with the side they belong to: "left", "right" or "centre".
EDGES = {
    (0, 1): "left", (0, 2): "right", (1, 3): "left", (2, 4): "right",
    (0, 5): "left", (0, 6): "right", (5, 7): "left", (7, 9): "left",
    (6, 8): "right", (8, 10): "right", (5, 6): "centre", (5, 11): "left",
    (6, 12): "right", (11, 12): "centre", (11, 13): "left", (13, 15): "left",
    (12, 14): "right", (14, 16): "right",
}
