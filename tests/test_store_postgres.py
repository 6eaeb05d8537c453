"""The same store against a real PostgreSQL server that this module starts on 127.0.0.1.

The server is Debian's `postgresql` package (`make system-deps` installs it): initdb and pg_ctl
from /usr/lib/postgresql/*/bin, run as the `postgres` user when the tests run as root (PostgreSQL
refuses to run as root). In CI (CI=true) a server that cannot start fails these tests.
"""

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from coach.errors import StoreError
from coach.store import SCHEMA_VERSION, SessionRecorder, Store, record, recovery, resolve_url, transfer
from support import free_port, missing, store_worker
from test_store import FPS, synthetic_session



def unavailable(reason: str):
    missing(f"PostgreSQL test server: {reason}")


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL cluster on 127.0.0.1; yields a function making a fresh database URL."""
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not initdbs:
        unavailable("Debian's postgresql is not installed (/usr/lib/postgresql/*/bin/initdb); run `make system-deps`")
    bindir = Path(initdbs[-1]).parent
    base = Path(tempfile.mkdtemp(prefix="coach-pg-"))
    prefix = []
    if os.geteuid() == 0:
        try:
            shutil.chown(base, "postgres", "postgres")
        except (LookupError, OSError) as error:
            unavailable(f"running as root and cannot hand {base} to the postgres user: {error}")
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", free_port()

    def pg(*args, **kwargs):
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120, **kwargs)

    done = pg(str(bindir / "initdb"), "-D", str(data), "-U", "coach", "--auth=trust", "-E", "UTF8", "--no-locale")
    if done.returncode:
        unavailable(f"initdb failed: {done.stderr.strip()}")
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=on"
    done = pg(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "server.log"), "-w", "start")
    if done.returncode:
        log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
        unavailable(f"pg_ctl start failed: {done.stderr.strip()} {log[-500:]}")
    admin = sa.create_engine(f"postgresql+psycopg://coach@127.0.0.1:{port}/postgres", isolation_level="AUTOCOMMIT")
    made = []

    def new_database() -> str:
        name = f"coach_{len(made)}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        made.append(name)
        return f"postgresql://coach@127.0.0.1:{port}/{name}"

    yield new_database
    admin.dispose()
    pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
    shutil.rmtree(base, ignore_errors=True)


def test_a_session_on_postgres_reads_back_exactly(postgres, tmp_path):
    url = postgres()
    with Store.open(url, recovery_dir=tmp_path) as store, Store.open(url) as other:
        assert store.backend == "postgresql" and store.version() == SCHEMA_VERSION
        assert "127.0.0.1" in store.where
        results, events = synthetic_session(reps_per_set=(3, 2))
        recorder = SessionRecorder(store, "squat", "alice", source="clip.mp4", fps=FPS)
        for result in results:
            recorder.update(result)
            if result.rep is not None:  # committed: another connection sees it now
                waits = result.rep.index in (1, 4)  # a set's first rep, committed with its second
                seen = other.reps([recorder.session_id])["rep_index"].tolist()
                assert seen == list(range(1, result.rep.index + (not waits)))
        session_id = recorder.finish()
        row = other.session(session_id)
        assert (row["status"], row["reps"], row["sets"], row["frames"]) == ("complete", 5, 2, len(results))
        assert row["mean_tempo_s"] == pytest.approx(2.0)
        assert other.sets([session_id])["reps"].tolist() == [3, 2]
        stored = other.reps([session_id])
        assert stored["start_t"].tolist() == pytest.approx([e.start_t for e in events])
        assert stored["flags"].tolist() == ["", "knees_in", "", "", ""]
        series = other.keypoints(session_id)
        assert np.array_equal(series.t, [r.t for r in results])
        assert series.present.tolist() == [r.pose is not None for r in results]
        assert other.delete_session(session_id) and other.sessions().empty


def test_history_moves_between_sqlite_and_postgres(postgres, tmp_path):
    with Store.open(tmp_path / "home.db") as home:
        record(home, synthetic_session(seed=4)[0], "squat", "alice", fps=FPS)
        record(home, synthetic_session(reps_per_set=(6,), seed=5)[0], "push_up", "bob", fps=FPS)
        transfer.export(home, tmp_path / "export", "parquet")
        with Store.open(postgres()) as gym:
            assert transfer.import_(gym, tmp_path / "export") == {"sessions": 2, "skipped": 0, "reps": 11}
            transfer.export(gym, tmp_path / "back", "csv")
            mine, theirs = home.sessions(), gym.sessions()
            assert sorted(theirs["uuid"]) == sorted(mine["uuid"])
            for uuid in mine["uuid"]:
                a = home.keypoints(int(mine.set_index("uuid").loc[uuid, "id"]))
                b = gym.keypoints(int(theirs.set_index("uuid").loc[uuid, "id"]))
                assert np.array_equal(a.xys, b.xys)
    with Store.open(tmp_path / "again.db") as again:
        assert transfer.import_(again, tmp_path / "back") == {"sessions": 2, "skipped": 0, "reps": 11}
        assert sorted(again.reps()["rep_index"]) == sorted([*range(1, 6), *range(1, 7)])


def test_two_processes_open_a_new_database_and_write_at_once(postgres, tmp_path):
    url = postgres()  # empty: both workers migrate it at the same moment
    go = tmp_path / "go"
    workers = [store_worker(url, "synthetic", "--reps", 40, "--person", name, "--go", go) for name in ("alice", "bob")]
    go.touch()
    outputs = [worker.communicate(timeout=120) for worker in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err
        assert out.splitlines()[-1].startswith("done ")
    with Store.open(url) as store:
        assert store.version() == SCHEMA_VERSION
        sessions = store.sessions().set_index("person")
        assert sorted(sessions.index) == ["alice", "bob"]
        assert sessions["reps"].tolist() == [40, 40] and set(sessions["status"]) == {"complete"}
        for session_id in sessions["id"]:
            assert store.reps([session_id])["rep_index"].tolist() == list(range(1, 41))
            assert len(store.keypoints(int(session_id))) == 400


def test_a_read_only_postgres_database_sends_the_session_to_a_recovery_file(postgres, tmp_path):
    url = postgres()
    Store.open(url).close()
    admin = sa.create_engine(resolve_url(url), isolation_level="AUTOCOMMIT")
    name = sa.make_url(url).database
    with admin.connect() as conn:
        conn.exec_driver_sql(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    results, events = synthetic_session()
    with Store.open(url, recovery_dir=tmp_path / "recovery", migrate=False) as store:
        recorder = SessionRecorder(store, "squat", "alice")
        for result in results:
            recorder.update(result)  # never raises: the rep goes to the recovery file
        assert "read-only" in str(recorder.error)
        with pytest.raises(StoreError, match="read-only.*kept in .*recovery.*coach history recover"):
            recorder.finish()
        assert recorder.recovery_path.is_file()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"ALTER DATABASE {name} SET default_transaction_read_only = off")
    admin.dispose()
    with Store.open(url, recovery_dir=tmp_path / "recovery") as store:
        [(path, session_id)] = recovery.recover(store)
        row = store.session(session_id)
        assert (row["status"], row["reps"], row["sets"], row["frames"]) == ("complete", 5, 2, len(results))
        assert store.reps([session_id])["end_t"].tolist() == pytest.approx([e.end_t for e in events])
        assert np.array_equal(store.keypoints(session_id).t, [r.t for r in results])


def test_sigkill_mid_session_on_postgres_keeps_the_counted_reps(postgres, repcount_dir):
    url = postgres()
    process = store_worker(url, "series", repcount_dir / "stu9_64.npy", "--exercise", "squat", "--pace", "0.002")
    printed = []
    for line in process.stdout:
        printed.append(int(line.split()[1]))
        if len(printed) == 5:
            process.kill()
            break
    process.wait(timeout=60)
    assert printed == [1, 2, 3, 4, 5], process.stderr.read()
    with Store.open(url) as store:
        session = store.sessions().iloc[0]
        assert session["status"] == "interrupted"
        stored = store.reps([session["id"]])["rep_index"].tolist()
        assert stored[:5] == [1, 2, 3, 4, 5] and stored == list(range(1, len(stored) + 1))
        assert session["reps"] == len(stored)
        assert store.keypoints(int(session["id"])).t[-1] >= store.reps([session["id"]])["end_t"].iloc[-1]
