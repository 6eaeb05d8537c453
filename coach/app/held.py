"""A hold exercise's sets in words, as the pages list them."""

from __future__ import annotations

from coach.types import HoldSet


def holds_line(holds: list[HoldSet]) -> str:
    """The holds of an analysis in words: "held 21.5 s, 6.8 s (target 30 s)", or "no hold"."""
    if not holds:
        return "no hold"
    return f"held {', '.join(f'{h.held_s:.1f} s' for h in holds)} (target {holds[0].target_s:g} s)"
