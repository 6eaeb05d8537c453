"""MoveNet pose estimation: `load_model(name).predict(image) -> Pose`, `PoseTracker` for video."""

from coach.pose.models import VARIANTS, valid_names
from coach.pose.movenet import PoseModel, PoseTracker, load_model

__all__ = ["VARIANTS", "PoseModel", "PoseTracker", "load_model", "valid_names"]
