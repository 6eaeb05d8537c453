"""Checks for an uploaded video; the analysis itself is `coach.session.analyze_video`, the same
causal path as `coach analyze` and the live camera."""

from __future__ import annotations

from pathlib import Path

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
