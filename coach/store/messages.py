"""A database failure as one clear line for the user, whatever the backend said."""

from __future__ import annotations

from coach.errors import StoreError


def explain(error: Exception, where: str, timeout_s: float) -> StoreError:
    while getattr(error, "orig", None) or error.__cause__:  # the driver's own words (pandas and SQLAlchemy wrap them)
        error = getattr(error, "orig", None) or error.__cause__
    text = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
    low = text.lower()
    if "locked" in low or "lock timeout" in low or "could not obtain lock" in low:
        message = f"the history database {where} is locked by another program (waited {timeout_s:g} s)"
    elif "readonly" in low or "read-only" in low or "read only" in low:
        message = f"the history database {where} is read-only"
    elif "unable to open" in low:
        message = f"cannot open the history database {where} (is the folder there and writable?)"
    elif "permission denied" in low:
        message = f"no permission to write the history database {where}"
    elif "connection" in low and ("refused" in low or "failed" in low):
        message = f"cannot connect to the history database {where}"
    elif "malformed" in low or "not a database" in low:
        message = f"the history database {where} is damaged (restore a copy, or try `sqlite3 {where} .recover`)"
    elif "no such table" in low or "no such column" in low or "has no column" in low:
        message = f"the history database {where} lacks part of coach's schema"
    elif "disk" in low and ("full" in low or "i/o" in low):
        message = f"cannot write the history database {where}: the disk is full or failing"
    else:
        message = f"the history database {where} failed"
    return StoreError(f"{message}: {text}")
