"""Shared fixtures: the real models, clips and series in ../shared, and the two tiers of tests.

A test that needs ../shared fails in CI (CI=true) when it is missing, and skips with the reason
elsewhere. Each test is marked from the fixtures it asks for, so a new test file lands in its tier
by itself: `shared` when it asks for ../shared (shared, models_dir, clips_dir, repcount_dir,
clip_poses, or a fixture that does), `browser` when it drives Chromium (browser, page,
playwright). `make check` runs the tests that are neither, without ../shared.
"""

import fcntl
import hashlib
import os
import pickle
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

from support import missing

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COACH_SHARED_DIR", ROOT.parent / "shared")).resolve()
SHARED_FIXTURES = {"shared", "models_dir", "clips_dir", "repcount_dir", "clip_poses"}
BROWSER_FIXTURES = {"browser", "page", "playwright"}


def pytest_collection_modifyitems(items):
    for item in items:
        needs = set(getattr(item, "fixturenames", ()))
        if needs & SHARED_FIXTURES:
            item.add_marker("shared")
        if needs & BROWSER_FIXTURES:
            item.add_marker("browser")


# The modules whose tests pytest-xdist's `--dist loadscope` hands out one by one; it keeps every
# other module on one worker, so that its app, browser or wheel starts once. test_analyze runs
# every clip through three models (about 190 s of CPU on CI) and test_store_faults starts the CLI
# some 40 times (108 of the 196 CPU-s of `make check`): kept whole, either can leave the other
# worker idle until it ends.
SPREAD = ("tests/test_analyze.py::", "tests/test_store_faults.py::")
# The tests handed out first, the longest first. xdist hands out the modules with the most tests
# first, so these two, each a scope of one test, came last and one worker ran them alone while the
# other had nothing left: thunder and lightning-int8 over the clips took 80 and 63 of the 721
# CPU-s of the tests outside the browser.
FIRST = ("tests/test_analyze.py::test_every_shared_clip_gets_its_labelled_count[thunder]",
         "tests/test_analyze.py::test_every_shared_clip_gets_its_labelled_count[lightning-int8]")


class SpreadScheduling(LoadScopeScheduling):
    def _split_scope(self, nodeid: str) -> str:
        return nodeid if nodeid.startswith(SPREAD) else super()._split_scope(nodeid)

    def _assign_work_unit(self, node):
        for scope in reversed(FIRST):  # the queue is whole by the first assignment
            if scope in self.workqueue:
                self.workqueue.move_to_end(scope, last=False)
        super()._assign_work_unit(node)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") == "loadscope":
        return SpreadScheduling(config, log)


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


@pytest.fixture(scope="session")
def no_models(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("no-models")


@pytest.fixture(autouse=True)
def model_dir_env(request, monkeypatch):
    """A test that asks for ../shared finds the models there, as the README's commands do; any
    other test finds no model at all (none in COACH_MODEL_DIR, an empty cache, no download), so
    one that loads a model without saying so fails here rather than skipping without ../shared."""
    if SHARED_FIXTURES & set(request.fixturenames):
        monkeypatch.setenv("COACH_MODEL_DIR", str(request.getfixturevalue("models_dir")))
    else:  # an empty folder, or a checkout would find ../shared/models by itself
        monkeypatch.setenv("COACH_MODEL_DIR", str(request.getfixturevalue("no_models")))
        monkeypatch.setenv("COACH_CACHE_DIR", str(request.getfixturevalue("no_models")))
        monkeypatch.setenv("COACH_MODEL_MIRROR", "http://127.0.0.1:9/")  # the discard port: refused at once


@pytest.fixture(autouse=True)
def data_dir_env(tmp_path_factory, monkeypatch):
    """Every test, and every coach it starts, keeps its data (a recovery file, the HTTPS
    certificate) in a folder of its own: never in the checkout's data/, which is the developer's."""
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path_factory.mktemp("coach-data")))


def digest(path: Path) -> str:
    """sha256 of a model file, or of every file of a SavedModel folder."""
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    sha = hashlib.sha256()
    for file in files:
        if file.is_file():
            sha.update(file.read_bytes())
    return sha.hexdigest()[:16]


@pytest.fixture(scope="session")
def clip_poses(clips_dir, tmp_path_factory):
    """`clip_poses(clip, model) -> [(pose, t), ...]`: a shared clip's poses through a model with
    crop tracking, as the pipeline finds them, computed once per clip and model for the whole run
    (several tests need the same clip through the same model). The poses are kept in files under
    the run's temporary folder, keyed by clip, model and the model file's hash, so that parallel
    workers (pytest-xdist) share them: the first to need them computes them under a lock."""
    from coach.pose import PoseTracker, load_model
    from coach.pose.models import resolve
    from coach.sources import read_video

    # One folder per run, shared by the xdist workers (each has its own basetemp inside it).
    root = tmp_path_factory.getbasetemp()
    folder = (root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root) / "clip-poses"
    folder.mkdir(exist_ok=True)
    models, cache = {}, {}

    def poses(clip: str, model: str = "lightning") -> list:
        if (clip, model) not in cache:
            _, path = resolve(model)
            file = folder / f"{clip}.{model}.{digest(path)}.pickle"
            with open(folder / f"{file.name}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not file.exists():
                    if model not in models:
                        # One thread: beside the other worker and the browser tests, two threads
                        # spent more CPU on the same poses (lightning on squat_side_3: 2.8
                        # CPU-s, 2.4 on one; int8 and thunder about 5% more).
                        models[model] = load_model(model, threads=1)
                    tracker = PoseTracker(models[model])
                    found = [(tracker.update(frame), frame.t) for frame in read_video(clips_dir / clip)]
                    file.with_suffix(".part").write_bytes(pickle.dumps(found))
                    file.with_suffix(".part").replace(file)
            cache[clip, model] = pickle.loads(file.read_bytes())
        return cache[clip, model]

    return poses
