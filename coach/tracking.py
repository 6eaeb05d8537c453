"""Following people from frame to frame: `Tracker.update(detected, t) -> {track id: Detected}`.

MultiPose finds everyone in a frame, in no particular order; the tracker gives each person an id
that stays theirs from frame to frame, so that everything kept per person (coach.people) is kept
by id, never by their place in the frame's list. It is ByteTrack (Roboflow's `trackers`) on the
people's boxes: OC-SORT lost a man doing jumping jacks (his box doubles in width with his arms out).
"""

from __future__ import annotations

import math

import numpy as np

from coach.pose.multipose import Detected

# Seconds a track lives on unseen before the tracker gives its id up: a person hidden for a
# moment by someone passing in front keeps their id, count and filters.
LOST_S = 2.0


class Tracker:
    """The people of each frame by track id. `frame_rate` is the frames' rate (the tracker's
    motion model steps by it)."""

    def __init__(self, frame_rate: float = 30.0):
        from trackers import ByteTrackTracker  # loads supervision: only when several people are asked for

        rate = frame_rate if math.isfinite(frame_rate) and frame_rate > 0 else 30.0
        # `trackers` counts lost_track_buffer in frames at 30 fps whatever the rate and, given
        # timestamps, lets a track go unseen lost_track_buffer / 30 s: so LOST_S * 30 at any rate.
        # MultiPose's person scores run 0.2-0.5 here, under ByteTrack's defaults for a detector.
        self.tracker = ByteTrackTracker(lost_track_buffer=round(LOST_S * 30), frame_rate=rate,
                                        track_activation_threshold=0.3, minimum_consecutive_frames=3,
                                        high_conf_det_threshold=0.3)

    def update(self, detected: list[Detected], t: float) -> dict[int, Detected]:
        """The people of this frame (at `t` s) by track id; those the tracker has not yet
        confirmed are left out."""
        import supervision as sv

        if detected:
            boxes = np.array([d.box for d in detected], dtype=np.float32)
            scores = np.array([d.score for d in detected], dtype=np.float32)
            detections = sv.Detections(xyxy=boxes, confidence=scores, data={"index": np.arange(len(detected))})
        else:
            detections = sv.Detections.empty()
        tracked = self.tracker.update(detections, timestamp=t)
        if len(tracked) == 0:
            return {}
        return {int(track_id): detected[int(index)]
                for track_id, index in zip(tracked.tracker_id, tracked.data["index"]) if track_id >= 0}
