"""The app's settings, from environment variables (`coach app` sets some from its options).

COACH_ICE_SERVERS   WebRTC ICE servers, as JSON (a list of {"urls": ..., "username": ...,
                    "credential": ...}) or the path of a JSON file holding one. Unset: none,
                    which is all a browser on the same machine needs. A camera on another
                    network needs a STUN server and, behind strict NATs, a TURN server.
COACH_LIVE_MODEL    the pose model of the live workout (default lightning-int8: the fastest).
COACH_VIDEO_MODEL   the pose model of uploaded videos (default lightning).
COACH_MAX_UPLOAD_MB the largest video accepted for analysis (default 200).
COACH_DB, COACH_EXERCISES_DIR: the history database and the user's exercise definitions, as
                    for the command line.
COACH_PASSWORD      a fixed access key for an app that listens beyond loopback (coach.app.access
                    reads it; `coach app --password` does the same).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from coach.errors import InputError

LIVE_MODEL = "lightning-int8"
VIDEO_MODEL = "lightning"
MAX_UPLOAD_MB = 200
VIDEO_TYPES = ("mp4", "mov", "m4v", "webm", "mkv", "avi")


def live_model() -> str:
    return os.environ.get("COACH_LIVE_MODEL") or LIVE_MODEL


def video_model() -> str:
    return os.environ.get("COACH_VIDEO_MODEL") or VIDEO_MODEL


def max_upload_mb() -> int:
    text = os.environ.get("COACH_MAX_UPLOAD_MB") or str(MAX_UPLOAD_MB)
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"COACH_MAX_UPLOAD_MB must be a whole number of megabytes, got {text!r}") from None
    if value < 1:
        raise InputError(f"COACH_MAX_UPLOAD_MB must be at least 1, got {value}")
    return value


def ice_servers(text: str | None = None) -> list[dict]:
    """The ICE servers to give both browser and server, checked; [] when none are set."""
    text = os.environ.get("COACH_ICE_SERVERS", "") if text is None else text
    text = text.strip()
    if not text:
        return []
    source = "COACH_ICE_SERVERS"
    if not text.startswith(("[", "{")):
        path = Path(text).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise InputError(f"COACH_ICE_SERVERS: cannot read {path}: {error.strerror or error}") from None
        source = str(path)
    try:
        servers = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{source}: not JSON: {error}") from None
    if isinstance(servers, dict):  # an RTCConfiguration: {"iceServers": [...]}
        servers = servers.get("iceServers")
    if not isinstance(servers, list):
        raise InputError(f'{source}: expected a list of ICE servers like [{{"urls": "stun:host:3478"}}]')
    for i, server in enumerate(servers):
        if not isinstance(server, dict) or "urls" not in server:
            raise InputError(f'{source}: server {i} needs "urls" (e.g. {{"urls": "turn:host:3478", '
                             f'"username": "...", "credential": "..."}})')
        unknown = set(server) - {"urls", "username", "credential"}
        if unknown:
            raise InputError(f"{source}: server {i}: unknown field {sorted(unknown)[0]!r} (urls, username, credential)")
        urls = server["urls"] if isinstance(server["urls"], list) else [server["urls"]]
        for url in urls:
            if not isinstance(url, str) or not url.startswith(("stun:", "turn:", "turns:")):
                raise InputError(f"{source}: server {i}: {url!r} is not a stun:, turn: or turns: address")
    return servers
