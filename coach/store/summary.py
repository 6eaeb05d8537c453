"""Rep rows, set rows and a session's totals, computed from the reps."""

from __future__ import annotations

import json
import math

import numpy as np

from coach import metrics
from coach.store.schema import REP_FIELDS
from coach.types import HoldSet, RepEvent


def rep_row(rep: RepEvent) -> dict:
    """A RepEvent as a row of the reps table (without session_id and committed_at)."""
    row = {"rep_index": int(rep.index)}
    row.update({name: getattr(rep, name) for name in REP_FIELDS})
    row["set_index"] = int(rep.set_index)
    row["asymmetry"] = None if rep.asymmetry is None or not np.isfinite(rep.asymmetry) else float(rep.asymmetry)
    row["flags"] = ",".join(rep.flags)
    metrics = getattr(rep, "metrics", None) or {}
    row["metrics"] = json.dumps({k: float(v) if np.isfinite(v) else None for k, v in metrics.items()})
    return row


def set_rows(rep_rows: list[dict]) -> list[dict]:
    """One row per set: its first start, last end and rep count."""
    by_set: dict[int, dict] = {}
    for row in rep_rows:
        entry = by_set.setdefault(row["set_index"], {"set_index": row["set_index"], "start_t": row["start_t"],
                                                     "end_t": row["end_t"], "reps": 0})
        entry["start_t"] = min(entry["start_t"], row["start_t"])
        entry["end_t"] = max(entry["end_t"], row["end_t"])
        entry["reps"] += 1
    return [by_set[key] for key in sorted(by_set)]


def hold_row(hold: HoldSet) -> dict:
    """A hold exercise's set (HoldSet) as a row of the sets table (without session_id): no reps."""
    return {"set_index": int(hold.index), "start_t": float(hold.start_t), "end_t": float(hold.end_t), "reps": 0,
            "held_s": float(hold.held_s)}


def hold_totals(hold_rows: list[dict]) -> dict:
    """A hold session's totals from its set rows: the sets and the time held over all of them."""
    return {"sets": len(hold_rows), "held_s": float(sum(r["held_s"] for r in hold_rows))}


def summarise(rep_rows: list[dict]) -> dict:
    """Session totals from its rep rows (coach.metrics.summarise), None where there is no mean."""
    totals = metrics.summarise([r["rom_max"] - r["rom_min"] for r in rep_rows],
                               [r["end_t"] - r["start_t"] for r in rep_rows], [r["set_index"] for r in rep_rows])
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in totals.items()}
