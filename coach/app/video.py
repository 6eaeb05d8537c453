"""Uploaded videos: the checks, and the analysis with a progress bar (`coach.analyze.analyze_video`,
the same causal path as `coach analyze` and the live camera)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from coach.analysis import Analysis
from coach.analyze import analyze_video
from coach.errors import InputError


def check_upload(name: str, size: int, types: tuple[str, ...], max_mb: int):
    """The same checks the upload widget makes, for files that reach us another way."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in types:
        raise InputError(f"{name}: not a video type coach reads (use {', '.join(types)})")
    if size > max_mb * 1024 * 1024:
        raise InputError(f"{name}: {size / 1024 / 1024:.0f} MB is over the {max_mb} MB limit for an upload")
    if size == 0:
        raise InputError(f"{name}: the file is empty")


def analyse_upload(upload, exercise, model, annotate: bool = False) -> tuple[Analysis, bytes | None]:
    """An uploaded file (Streamlit's UploadedFile) through the pose model and the exercise, with a
    progress bar; with `annotate`, also the overlay video as MP4 bytes."""
    bar = st.progress(0.0, text="Reading the video...")

    def progress(done: int, total: int):
        if done % 10 and done != total:
            return  # the page needs no more than a tenth of the frames' news
        bar.progress(min(1.0, done / total) if total else 0.0,
                     text=f"Analysing frame {done} of {total}" if total else f"Analysing frame {done}")

    with tempfile.TemporaryDirectory(prefix="coach-upload-") as folder:
        path = Path(folder) / f"upload{Path(upload.name).suffix.lower()}"
        path.write_bytes(upload.getbuffer())
        out = Path(folder) / "annotated.mp4" if annotate else None
        try:
            analysis = analyze_video(path, exercise, model, out=out, on_progress=progress)
        except InputError as error:  # name the user's file, not our temporary copy
            raise InputError(str(error).replace(str(path), upload.name)) from None
        video = out.read_bytes() if out else None
    bar.empty()
    return analysis, video
