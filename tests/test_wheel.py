"""The wheel as a user gets it: built from the sources, installed with its declared dependencies
into a fresh virtual environment outside the repository, and run from other folders. The
dependencies are resolved as `pip install` would, from what is declared alone, but from the
package cache that `make install` filled (uv --offline, at the versions of constraints.txt), so no
network is needed."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support import missing

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The bin/ folder of a fresh venv with the coach wheel and its dependencies installed."""
    uv = shutil.which("uv", path=Path(sys.executable).parent) or missing("uv is missing: `make install` installs it")
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy, so the build leaves nothing in the checkout
    for name in ("coach", "exercises", "routines"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    dist = work / "dist"
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "wheel", "--no-build-isolation",
                    "--no-deps", "-q", "-w", dist, source], check=True, capture_output=True, cwd=work)
    [wheel] = dist.glob("coach-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "coach/builtin_exercises/squat.yaml" in names and "coach/builtin_routines/plank_core.yaml" in names and "coach/store/recorder.py" in names
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    done = subprocess.run([uv, "pip", "install", "--offline", "--quiet", "--python", python,
                           "-c", ROOT / "constraints.txt", wheel], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    listing = subprocess.run([uv, "pip", "list", "--python", python], check=True, capture_output=True, text=True).stdout
    assert [line.split()[0] for line in listing.splitlines() if line.startswith("opencv")] == ["opencv-python"]
    return venv / "bin"


def run(bin_dir, cwd, *args, **env):
    # As a user's shell has it: the first coach writes the venv's .pyc and the others read them
    # (where PYTHONDONTWRITEBYTECODE is set, each compiled its imports again: 28 CPU-s here, 23).
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "COACH_EXERCISES_DIR", "COACH_DB", "COACH_MODEL_DIR", "XDG_DATA_HOME",
                                 "COACH_DATA_DIR")}
    done = subprocess.run([bin_dir / "coach", *args], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**environment, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_installed_coach_knows_the_built_in_exercises(installed, tmp_path):
    where = subprocess.run([installed / "python", "-c", "import coach; print(coach.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    assert where.startswith(str(installed.parent))  # the wheel's coach, not the checkout's
    listing = run(installed, tmp_path, "exercises", "list")
    assert "squat" in listing and "jumping_jack" in listing and "built-in" in listing
    routines = run(installed, tmp_path, "routines", "list")
    assert "squats_and_push_ups" in routines and "(built-in)" in routines


def test_the_installed_coach_counts_everyone_and_keeps_one_history_from_any_folder(installed, tmp_path, clips_dir,
                                                                                    models_dir):
    """`--people all` runs (trackers is installed with it), and sessions saved from two folders
    land in one history in the user's data folder ($XDG_DATA_HOME/coach), which a third lists."""
    clip = str(clips_dir / "squat_side_3.mp4")
    env = {"COACH_MODEL_DIR": str(models_dir), "XDG_DATA_HOME": str(tmp_path / "data-home")}
    first, second, third = (tmp_path / name for name in ("first", "second", "third"))
    for folder in (first, second, third):
        folder.mkdir()
    everyone = json.loads(run(installed, first, "analyze", clip, "--exercise", "squat", "--people", "all", "--json",
                              "--save", **env))
    assert everyone["reps"] == 3 and [person["reps"] for person in everyone["people"]] == [3]
    assert json.loads(run(installed, second, "analyze", clip, "--exercise", "squat", "--json", "--save", **env))["reps"] == 3
    sessions = [json.loads(line) for line in run(installed, third, "history", "--json", **env).splitlines()]
    assert len(sessions) == 2
    assert (tmp_path / "data-home" / "coach" / "coach.db").is_file()
    assert not any((folder / "data").exists() for folder in (first, second, third))


def test_a_missing_built_in_folder_is_an_error_not_an_empty_library(tmp_path):
    from coach.errors import ExerciseError
    from coach.exercise_library import Library

    with pytest.raises(ExerciseError, match="the built-in exercise definitions are missing: no folder "):
        Library(builtin_dir=tmp_path / "gone")
