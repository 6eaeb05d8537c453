"""Shared fixtures: the real models, clips and series in ../shared.

A test that needs ../shared fails in CI (CI=true) when it is missing, and skips with the reason
elsewhere.
"""

import os
from pathlib import Path

import pytest

from support import missing

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COACH_SHARED_DIR", ROOT.parent / "shared")).resolve()


def require(path: Path) -> Path:
    if not path.exists():
        missing(f"{path} is missing: the tests read ../shared in place")
    return path


@pytest.fixture(scope="session")
def shared() -> Path:
    return require(SHARED)


@pytest.fixture(scope="session")
def models_dir(shared) -> Path:
    return require(shared / "models")


@pytest.fixture(scope="session")
def clips_dir(shared) -> Path:
    return require(shared / "data" / "clips")


@pytest.fixture(scope="session")
def repcount_dir(shared) -> Path:
    return require(shared / "data" / "repcount")


@pytest.fixture(autouse=True, scope="session")
def model_dir_env(models_dir):
    """Point every model lookup at ../shared/models, as the README's commands do."""
    os.environ["COACH_MODEL_DIR"] = str(models_dir)
    yield


@pytest.fixture(scope="session")
def clip_poses(clips_dir):
    """`clip_poses(clip, model) -> [(pose, t), ...]`: a shared clip's poses through a model with
    crop tracking, as the pipeline finds them, computed once per clip and model for the whole run
    (the same clip through the same model is needed by several tests)."""
    from coach.pose import PoseTracker, load_model
    from coach.sources import read_video

    models, cache = {}, {}

    def poses(clip: str, model: str = "lightning") -> list:
        if (clip, model) not in cache:
            if model not in models:
                models[model] = load_model(model)
            tracker = PoseTracker(models[model])
            cache[clip, model] = [(tracker.update(frame), frame.t) for frame in read_video(clips_dir / clip)]
        return cache[clip, model]

    return poses
