"""MoveNet pose estimation: `load_model(name).predict(image) -> Pose`, `PoseTracker` for video."""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coach.pose.models import VARIANTS, valid_names
    from coach.pose.movenet import PoseModel, PoseTracker, load_model

__all__ = ["VARIANTS", "PoseModel", "PoseTracker", "load_model", "valid_names"]

# Loaded on first use (PEP 562): `coach.pose.skeleton` alone must not bring in cv2.
_HOMES = {"VARIANTS": "models", "valid_names": "models",
          "PoseModel": "movenet", "PoseTracker": "movenet", "load_model": "movenet"}


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
