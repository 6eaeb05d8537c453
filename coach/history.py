"""A stored session as the history lists it, for the terminal (coach history) and the page
alike: its fields as JSON-ready values, its title, a measure with its unit."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def rows(sessions: pd.DataFrame) -> list[dict]:
    """The listed fields of each session, as JSON-ready values."""
    return [row(s) for _, s in sessions.iterrows()]


def row(s: pd.Series) -> dict:
    when = s["started_at"].tz_convert(datetime.now().astimezone().tzinfo)
    return {"id": int(s["id"]), "date": when.strftime("%Y-%m-%d %H:%M"), "person": s["person"],
            "name": text(s.get("name")), "view": text(s.get("view")), "routine": text(s.get("routine")),
            "exercise": s["exercise"], "reps": int(s["reps"]), "sets": int(s["sets"]),
            "held_s": number(s.get("held_s")),  # a hold exercise's time held; None for reps
            "duration_s": round(float(s["duration_s"]), 2), "mean_rom": number(s["mean_rom"]),
            "mean_tempo_s": number(s["mean_tempo_s"]), "status": s["status"],
            "source": text(s["source"]),
            "started_at": s["started_at"].isoformat(), "uuid": s["uuid"]}


def text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def number(value, digits=2):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), digits)


def session_title(record: dict) -> str:
    """The name given to a session, else its file's name ("live" for a workout), with the routine
    it was a block of: "live (squats_and_push_ups)"."""
    title = record["name"] or (PurePath(record["source"]).name if record["source"] else "-")
    return f"{title} ({record['routine']})" if record.get("routine") else title


def measure(value, unit: str, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f} {unit}".strip()
