"""`coach history`: the stored sessions, their charts, export and import, counting again, deleting.

    coach history [--person NAME] [--exercise ID] [--since DATE] [--json] [--plot FILE.png]
    coach history export --format csv|parquet DIR
    coach history import DIR
    coach history recount SESSION_ID [--exercise FILE_OR_ID] [--json]
    coach history delete SESSION_ID [--yes]
    coach history recover

Every form takes `--db PATH_OR_URL` (else COACH_DB, else data/coach.db; see coach.store).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from coach.errors import InputError, StoreError
from coach.history import measure, number, row, rows, session_title
from coach.words import clock, plural, short_unit

if TYPE_CHECKING:
    import pandas as pd

    from coach.sinks import RecorderSink
    from coach.store import Store

DB_HELP = "the history database: a file path or a SQLAlchemy URL (default: $COACH_DB, else data/coach.db)"


def add_parser(sub):
    parser = sub.add_parser("history", help="list, chart, export and re-count stored workout sessions",
                            description="Without an ACTION: one row per stored session, newest first.")
    parser.add_argument("--db", help=DB_HELP)
    parser.add_argument("--person", help="only this person's sessions")
    parser.add_argument("--exercise", help="only this exercise (its id)")
    parser.add_argument("--since", type=parse_since,
                        help="only sessions from this day on: YYYY-MM-DD, an ISO time, today, yesterday, 7d, 4w")
    parser.add_argument("--json", action="store_true", help="print one JSON object per session, one per line")
    parser.add_argument("--plot", metavar="FILE.png", help="write the history charts to this PNG")
    parser.set_defaults(run=run_list)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")

    def action(name, help, run):
        p = actions.add_parser(name, help=help, description=help)
        p.add_argument("--db", help=DB_HELP, default=argparse.SUPPRESS)  # before or after ACTION
        p.set_defaults(run=run)
        return p

    p = action("export", "write every table to a folder as CSV or parquet files", run_export)
    p.add_argument("dir", help="the folder to write (made if missing)")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv", help="file format (default: csv)")
    p = action("import", "load an export (sessions already stored are skipped)", run_import)
    p.add_argument("dir", help="a folder written by `coach history export`")
    p = action("recount", "count a stored session again from its keypoints, beside the stored count", run_recount)
    p.add_argument("session_id", type=int, help="the session's id, as `coach history` lists it")
    p.add_argument("--exercise", dest="definition", metavar="FILE_OR_ID",
                   help="an exercise id or an edited definition file (default: the session's exercise, as defined now)")
    p.add_argument("--json", action="store_true", help="print the comparison as one JSON object")
    p = action("delete", "delete a session with its reps and keypoints", run_delete)
    p.add_argument("session_id", type=int, help="the session's id, as `coach history` lists it")
    p.add_argument("--yes", action="store_true", help="do not ask to confirm")
    action("recover", "import the sessions that were kept in recovery files when the database "
                      "could not be written", run_recover)


def parse_since(text: str) -> datetime:
    """A local day or time: YYYY-MM-DD (from its midnight), an ISO time, today, yesterday, Nd, Nw."""
    today = datetime.combine(date.today(), datetime.min.time()).astimezone()
    value = text.strip().lower()
    relative = re.fullmatch(r"(\d+)\s*([dw])", value)
    if value in ("today", "yesterday"):
        return today - timedelta(days=value == "yesterday")
    if relative:
        amount = int(relative[1]) * (7 if relative[2] == "w" else 1)
        return today - timedelta(days=amount)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: use YYYY-MM-DD, an ISO time, today, yesterday, 7d or 4w") from None
    return moment if moment.tzinfo else moment.astimezone()


def open_store(args) -> Store:
    from coach.store import Store

    return Store.open(getattr(args, "db", None))


# -- `coach analyze ... --save`: the two calls analyze makes ----------------------------------

def add_save_options(parser) -> None:
    """`--save [--person NAME] [--db PATH_OR_URL]` on another command (coach analyze)."""
    parser.add_argument("--save", action="store_true", help="store each analysis as a session in the history")
    parser.add_argument("--person", help="with --save: whose session it is (default: me)")
    parser.add_argument("--db", help="with --save: " + DB_HELP)
    parser.add_argument("--save-empty", action="store_true",
                        help="with --save: store an input in which no rep was counted too (by default it is not)")


def save_store(args) -> Store:
    """The store `--save` writes to. One that cannot be opened still takes the session: its every
    write fails, so the recorder keeps what was measured in a recovery file, named in the error."""
    from coach.store import Store

    try:
        return open_store(args)
    except StoreError as error:
        return Store.unusable(getattr(args, "db", None), error)


def recorder(args, store: Store, exercise, definition: str | None, analysis) -> RecorderSink:
    """The sink that stores an input as it is analysed (`record` of coach.analyze.analyze_video):
    each rep is committed as it is counted, as live, so a kill keeps the reps so far in a session
    shown as interrupted. The session begins at the first rep, unless --save-empty."""
    from coach.sinks import RecorderSink

    return RecorderSink(store, exercise.id, args.person, keep_empty=args.save_empty, source=analysis.source,
                        fps=analysis.fps, definition=definition)


def save(args, store: Store, analysis, exercise, definition: str | None = None,
         sink: RecorderSink | None = None) -> int | None:
    """Say what --save kept of one analysed input; returns the session id. `sink` stored it as it
    was analysed (`recorder`); without one (several people: the exerciser is known only at the
    end) it is stored now, through the same recorder. Either way with the camera view the
    pipeline decided (Analysis.view)."""
    results = analysis.results
    reps = sum(r.rep is not None for r in results)
    holds = len({r.hold.index for r in results if r.hold is not None})  # a hold exercise's sets
    what = plural(reps, "rep") if exercise.hold is None else plural(holds, "hold")
    if reps + holds == 0 and not args.save_empty:
        print(f"coach: not saved: no {exercise.id} {'rep was counted' if exercise.hold is None else 'hold was timed'} "
              f"in {analysis.source} (--save-empty keeps it anyway)", file=sys.stderr)
        return None
    if sink is None:
        from coach.store import record

        session_id = record(store, results, exercise.id, args.person, source=analysis.source, fps=analysis.fps,
                                  definition=definition, view=analysis.view)
    else:
        session_id = sink.session_id
    print(f"coach: saved session {session_id} ({exercise.id}, {what}) to {store.where}", file=sys.stderr)
    return session_id


# -- the list ---------------------------------------------------------------------------------

def table(records: list[dict]) -> str:
    """The sessions as the terminal shows them: exercise names, a unit on every measure, the
    file's name (or the session's own name), "1 rep"."""
    import pandas as pd

    from coach.charts import exercise_labels

    labels = exercise_labels({r["exercise"] for r in records})
    frame = pd.DataFrame([{
        "id": r["id"], "date": r["date"], "person": r["person"], "exercise": labels[r["exercise"]][0],
        "session": session_title(r), "view": r["view"] or "-", "reps": done(r),
        "sets": plural(r["sets"], "set"), "duration": clock(r["duration_s"]),
        "mean ROM": measure(r["mean_rom"], short_unit(labels[r["exercise"]][1]), 1),
        "time per rep": measure(r["mean_tempo_s"], "s", 2), "status": r["status"]} for r in records])
    return frame.to_string(index=False)


def done(record: dict) -> str:
    """What a session did: "5 reps", or a hold exercise's "42.0 s held"."""
    return plural(record["reps"], "rep") if record.get("held_s") is None else f"{record['held_s']:.1f} s held"


def run_list(args) -> int:
    from coach import charts  # altair only when needed

    with open_store(args) as store:
        sessions = store.sessions(person=args.person, exercise=args.exercise, since=args.since)
        from coach.store import reps, sessions as sessions_table

        damage = store.damaged(tables=(sessions_table, reps) if args.plot else (sessions_table,))
        where = store.where
    records = rows(sessions)
    if args.json:
        for record in records:
            print(json.dumps(record))
    elif records:
        print(table(records))
    else:
        wanted = " matching those filters" if (args.person or args.exercise or args.since) else ""
        print(f"no sessions{wanted} in {where} (store one with `coach analyze VIDEO --exercise ID --save`)")
    if args.plot:
        who = f" of {args.person}" if args.person else ""
        reps = store_reps(args, sessions) if len(sessions) else None
        path = charts.save_png(charts.dashboard(sessions, reps, title=f"Workout history{who}"), args.plot)
        if not args.json:
            print(f"wrote {path}")
    left_out(damage, where, "the others are listed")
    return 0


def left_out(damage: dict[int, str], where: str, others: str) -> None:
    """One error line naming the damaged sessions a command left out (coach.store.damage)."""
    if damage:
        named = "; ".join(f"session {i} ({why})" for i, why in sorted(damage.items()))
        raise StoreError(f"damaged in {where}, so left out: {named}; {others} "
                         f"(`coach history delete ID` removes one)")


def store_reps(args, sessions: pd.DataFrame) -> pd.DataFrame:
    """The reps of the listed sessions, for the personal bests."""
    with open_store(args) as store:
        return store.reps([int(i) for i in sessions["id"]])


# -- export, import, recover, delete ----------------------------------------------------------

def run_export(args) -> int:
    from coach.store import transfer

    with open_store(args) as store:
        counts, damage = transfer.export(store, args.dir, args.format)
        where = store.where
    print(f"exported {plural(counts['sessions'], 'session')} ({plural(counts['reps'], 'rep')}, "
          f"{counts['people']} {'person' if counts['people'] == 1 else 'people'}) "
          f"to {args.dir} as {args.format}")
    left_out(damage, where, "the others are exported")
    return 0


def run_import(args) -> int:
    from coach.store import transfer

    with open_store(args) as store:
        done = transfer.import_(store, args.dir)
    print(f"imported {done['sessions']} sessions ({done['reps']} reps) from {args.dir}"
          + (f"; {done['skipped']} were already here" if done["skipped"] else ""))
    return 0


def run_recover(args) -> int:
    from coach.store import recovery

    with open_store(args) as store:
        folder = store.recovery_dir()
        done = recovery.recover(store)
    failed = [(path, result) for path, result in done if isinstance(result, Exception)]
    for path, session_id in done:
        if not isinstance(session_id, Exception):
            print(f"recovered session {session_id} from {path}")
    if not done:
        print(f"nothing to recover in {folder}")
    for _, error in failed[:-1]:
        print(f"coach: skipped {error}", file=sys.stderr)
    if failed:
        others = f" and {len(failed) - 1} more above" if len(failed) > 1 else ""
        raise StoreError(f"{failed[-1][1]}{others}: left as they are, the other files were recovered")
    return 0


def run_delete(args) -> int:
    with open_store(args) as store:
        damage = store.damaged([store.known_id(args.session_id)]).get(args.session_id)
        if damage:  # deleting it is the way out
            what = f"session {args.session_id} (damaged: {damage})"
        else:
            record = row(store.session(args.session_id))
            what = (f"session {record['id']}: {record['exercise']}, {done(record)}, {record['date']}, "
                    f"{record['person']}")
        if not args.yes:
            if sys.stdin is None:  # started with stdin closed (`<&-`): input() would raise RuntimeError
                raise InputError(f"cannot ask before deleting session {args.session_id}: stdin is closed (add --yes)")
            try:
                answer = input(f"delete {what}? [y/N] ")
            except EOFError:
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                print("not deleted")
                return 0
        store.delete_session(args.session_id)
    print(f"deleted {what}")
    return 0


# -- recount ----------------------------------------------------------------------------------

def run_recount(args) -> int:
    import pandas as pd

    from coach.analyze import analyze_poses
    from coach.exercise_library import Library
    from coach.store import rep_row, summarise

    with open_store(args) as store:
        session = store.session(args.session_id)
        stored = store.reps([args.session_id])
        library = Library()
        exercise = library.get(args.definition or session["exercise"])
        frames = store.keypoints(args.session_id)
        if len(frames) == 0:
            raise InputError(f"session {args.session_id} has no keypoints stored, so it cannot be counted again")
        analysis = analyze_poses(exercise, frames.poses())
    source = library.sources.get(exercise.id) if not args.definition or args.definition == exercise.id else args.definition
    new_rows = [rep_row(rep) for rep in analysis.reps]
    old_rows = stored.to_dict("records")
    old, new = summarise(old_rows), summarise(new_rows)
    if exercise.hold is not None:  # a hold has no reps: its sets and time held
        from coach.holds import timed_sets

        holds = timed_sets(analysis.results)
        old.update(sets=int(session["sets"]), held_s=number(session.get("held_s"), 3))
        new.update(sets=len(holds), held_s=sum(h.held_s for h in holds))
    pairs = match(old_rows, new_rows)
    report = {
        "session": int(session["id"]), "frames": len(frames),
        "stored": {"exercise": session["exercise"], **rounded(old)},
        "recount": {"exercise": exercise.id, "definition": str(source) if source else None, **rounded(new)},
        "reps": [{"stored": brief(a), "recount": brief(b)} for a, b in pairs],
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"session {report['session']} ({report['frames']} frames), counted again with "
          f"{exercise.id}" + (f" from {source}" if source else ""))
    summary = pd.DataFrame({
        "": ["exercise", "reps", "sets", "mean ROM", "time per rep (s)"],
        "stored": [session["exercise"], old["reps"], old["sets"], fmt(old["mean_rom"], 1), fmt(old["mean_tempo_s"])],
        "recount": [exercise.id, new["reps"], new["sets"], fmt(new["mean_rom"], 1), fmt(new["mean_tempo_s"])],
    })
    if "held_s" in new:
        summary.loc[len(summary)] = ["held s", fmt(old["held_s"], 1), fmt(new["held_s"], 1)]
    print(summary.to_string(index=False))
    if pairs:
        print()
        print(pd.DataFrame([{"stored rep": span(a), "recount rep": span(b)} for a, b in pairs]).to_string(index=False))
    return 0


def match(old: list[dict], new: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """Pair stored and recounted reps whose times overlap, in time order; the rest stand alone."""
    pairs, i, j = [], 0, 0
    while i < len(old) or j < len(new):
        a = old[i] if i < len(old) else None
        b = new[j] if j < len(new) else None
        if a is not None and b is not None and a["start_t"] < b["end_t"] and b["start_t"] < a["end_t"]:
            pairs.append((a, b))
            i, j = i + 1, j + 1
        elif b is None or (a is not None and a["end_t"] <= b["end_t"]):
            pairs.append((a, None))
            i += 1
        else:
            pairs.append((None, b))
            j += 1
    return pairs


def brief(rep: dict | None) -> dict | None:
    if rep is None:
        return None
    return {"index": int(rep["rep_index"]), "start_t": round(float(rep["start_t"]), 3),
            "end_t": round(float(rep["end_t"]), 3), "rom": round(float(rep["rom_max"] - rep["rom_min"]), 2)}


def span(rep: dict | None) -> str:
    if rep is None:
        return "-"
    return f"#{int(rep['rep_index'])} {rep['start_t']:.2f}-{rep['end_t']:.2f} s"


def rounded(summary: dict) -> dict:
    return {key: number(value, 3) if isinstance(value, float) else value for key, value in summary.items()}


def fmt(value, digits=2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
