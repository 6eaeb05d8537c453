"""A separate process that records one session into a store, for the durability tests.

    python tests/store_worker.py DB synthetic [--reps N] [--person NAME] [--go FILE] [--barrier DIR]
    python tests/store_worker.py DB series FILE.npy --exercise ID [--fps 30] [--pace S]

`synthetic` records N made-up reps as fast as it can (after FILE appears, so that two workers
start together; with --barrier DIR, none goes past rep 1 before all have committed it). `series` feeds a real keypoint series through the exercise engine's Session and
the recorder, one frame every `--pace` seconds. Both print `rep N` once rep N is committed, and
`done ID` at the end.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from coach.store import SessionRecorder, Store
from coach.types import FrameResult, Pose, RepEvent


def wait_for(done, timeout_s: float = 60.0):
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            sys.exit("store_worker: timed out waiting for the other workers")
        time.sleep(0.005)


def synthetic(store: Store, args) -> int:
    if args.go:
        go = Path(args.go)
        wait_for(go.exists)
    rng = np.random.default_rng(args.reps)
    with SessionRecorder(store, "squat", args.person, source="synthetic", fps=30.0) as recorder:
        for frame in range(args.reps * 10):
            t = frame / 30.0
            rep = None
            if frame % 10 == 9:
                index = frame // 10 + 1
                rep = RepEvent(index, (index - 1) // 5, t - 0.3, t, 90.0, 170.0, 0.1, 0.1, 0.1, 100.0, None, 0.9)
            pose = Pose(rng.uniform(0, 100, (17, 3)).astype(np.float32), (640, 480))
            recorder.update(FrameResult(t, pose, {}, "up", frame // 10, 1, True, rep))
            if rep is not None:
                print(f"rep {rep.index}", flush=True)
                if args.barrier and rep.index == 1:
                    # Rep 1 is committed: say so, and go on only once every worker has said so,
                    # so that each one's first commit comes before the others' last.
                    barrier = Path(args.barrier)
                    (barrier / args.person).touch()
                    wait_for(lambda: len(list(barrier.iterdir())) >= args.parties)
    return recorder.session_id


def series(store: Store, args) -> int:
    from coach.exercise_library import Library
    from coach.keypoints import KeypointSeries
    from coach.session import Session

    yxs = np.load(args.file)
    exercise = Library().get(args.exercise)
    session = Session(exercise)
    with SessionRecorder(store, exercise.id, args.person, source=str(args.file), fps=args.fps) as recorder:
        for pose, t in KeypointSeries.from_movenet(yxs, np.arange(len(yxs)) / args.fps).poses():
            result = session.step(pose, t)
            recorder.update(result)
            if result.rep is not None:
                print(f"rep {result.rep.index}", flush=True)
            time.sleep(args.pace)
    return recorder.session_id


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    sub = parser.add_subparsers(dest="mode", required=True)
    one = sub.add_parser("synthetic")
    one.add_argument("--reps", type=int, default=20)
    one.add_argument("--go")
    one.add_argument("--barrier", help="a folder: after rep 1, wait there until --parties workers reach rep 1")
    one.add_argument("--parties", type=int, default=2)
    two = sub.add_parser("series")
    two.add_argument("file")
    two.add_argument("--exercise", required=True)
    two.add_argument("--fps", type=float, default=30.0)
    two.add_argument("--pace", type=float, default=0.0)
    for p in (one, two):
        p.add_argument("--person", default="worker")
        p.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    with Store.open(args.db, timeout_s=args.timeout) as store:
        session_id = synthetic(store, args) if args.mode == "synthetic" else series(store, args)
    print(f"done {session_id}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
