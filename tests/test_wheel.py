"""The wheel as a user gets it: built from the sources, installed into a fresh virtual
environment outside the repository, and run from another folder. Its dependencies come from the
project's own environment (added to the fresh one's path), so no network is needed."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The bin/ folder of a fresh venv with only the coach wheel installed into it."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy, so the build leaves nothing in the checkout
    for name in ("coach", "exercises", "routines"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    dist = work / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-build-isolation", "--no-deps", "-q", "-w", dist, source],
                   check=True, capture_output=True, cwd=work)
    [wheel] = dist.glob("coach-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "coach/builtin_exercises/squat.yaml" in names and "coach/builtin_routines/plank_core.yaml" in names and "coach/store/recorder.py" in names
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", python, "install", "--no-deps", "--no-index", "-q", wheel],
                   check=True, capture_output=True)
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # The dependencies, from the project's environment, after the wheel's own site-packages. A
    # plain path line: the .pth files there (the checkout's editable coach) are not run.
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def run(bin_dir, cwd, *args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COACH_EXERCISES_DIR", "COACH_DB")}
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


def test_the_installed_coach_analyzes_a_clip_from_another_folder(installed, tmp_path, clips_dir, models_dir):
    out = run(installed, tmp_path, "analyze", str(clips_dir / "squat_side_3.mp4"), "--exercise", "squat",
              "--json", COACH_MODEL_DIR=str(models_dir))
    assert json.loads(out)["reps"] == 3
    assert not (tmp_path / "data").exists()  # nothing saved without --save


def test_a_missing_built_in_folder_is_an_error_not_an_empty_library(tmp_path):
    from coach.errors import ExerciseError
    from coach.exercises import Library

    with pytest.raises(ExerciseError, match="the built-in exercise definitions are missing: no folder "):
        Library(builtin_dir=tmp_path / "gone")
