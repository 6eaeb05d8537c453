"""Bad input through the real `coach` command, in processes of its own, as a user (or a hostile
file) would give it: exit code 1, exactly one `coach: error:` line naming the input, no
traceback, done within the subprocess timeout (a hang fails), and the user's folder and the
database as they were. A bad file in the user's folder only disables itself.

The files are made here: a real alias bomb, real raw H.264 from ffmpeg, a real truncated MP4.
"""

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.exercise_library import BUILTIN_DIR
from coach.exercises import DefinitionError, Exercise, parse
from coach.store import Store
from support import ROOT, free_port, start_app, stop_app, wait_healthy

SQUAT = (BUILTIN_DIR / "squat.yaml").read_text()
TIMEOUT_S = 120  # a hang fails here; each run takes seconds


def coach(*args, env=None, timeout=TIMEOUT_S, **kwargs) -> subprocess.CompletedProcess:
    """`python -m coach ARGS` in a process of its own, its output as text."""
    return subprocess.run([sys.executable, "-m", "coach", *map(str, args)], capture_output=True, text=True,
                          errors="replace", timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})}, **kwargs)


def one_error(result: subprocess.CompletedProcess, naming: str) -> str:
    """The one `coach: error:` line of a run that failed cleanly; it names `naming`."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("coach: error:")]
    assert len(errors) == 1 and naming in errors[0], result.stderr
    return errors[0]


def snapshot(*folders: Path) -> dict:
    """Every file under `folders` with a hash of its bytes (a FIFO or device: its kind)."""
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            kind = "link" if path.is_symlink() else "file" if path.is_file() else "other"
            found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest() if kind == "file" else kind
    return found


def alias_bomb(levels: int = 9) -> str:
    """The 600-byte "billion laughs": each level lists the one below nine times."""
    lines = ['a0: &a0 ["lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


BAD_DEFINITIONS = {
    "bomb": alias_bomb().encode(),
    "bomb_inside": (SQUAT + "extra:\n" + "".join(f"  {line}\n" for line in alias_bomb(7).splitlines())).encode(),
    "not_utf8": SQUAT.replace("name: Squat", "name: Squat\xe9").encode("latin-1"),
    "nul": SQUAT.replace("name: Squat", "name: Sq\0uat").encode(),
    "deep": b"id: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
    "long_number": SQUAT.replace("min_range: 30", "min_range: " + "9" * 5000).encode(),
    "infinite": SQUAT.replace("min_range: 30", "min_range: .inf").encode(),
    "bad_date": b"id: 2020-13-45\n",
    "list_key": b"? [a, b]\n: 1\n",
    "too_big": b"# padding\n" * 200_000,
}


@pytest.fixture(scope="module")
def series(repcount_dir) -> Path:
    return repcount_dir / "stu9_64.npy"


@pytest.fixture
def user_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "exercises"
    folder.mkdir()
    (folder / "my_squat.yaml").write_text(SQUAT.replace("id: squat", "id: my_squat").replace("name: Squat", "name: Mine"))
    monkeypatch.setenv("COACH_EXERCISES_DIR", str(folder))
    return folder


@pytest.mark.parametrize("name", BAD_DEFINITIONS)
def test_a_bad_definition_given_to_analyze_is_one_error_line(name, tmp_path, series, user_dir):
    bad = tmp_path / f"{name}.yaml"
    bad.write_bytes(BAD_DEFINITIONS[name])
    db = tmp_path / "coach.db"
    before = snapshot(tmp_path)
    result = coach("analyze", series, "--exercise", bad, "--fps", 30, "--save", "--db", db)
    one_error(result, str(bad))
    assert snapshot(tmp_path) == before and not db.exists()


def test_bad_files_in_the_user_folder_only_disable_themselves(tmp_path, series, user_dir):
    for name, data in BAD_DEFINITIONS.items():
        (user_dir / f"{name}.yaml").write_bytes(data)
    (user_dir / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(user_dir / "fifo.yaml")
    before = snapshot(user_dir)

    listed = coach("exercises", "list")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == sorted(
        [path.stem for path in BUILTIN_DIR.glob("*.yaml")] + ["my_squat"])
    assert all(line.startswith("coach: warning: ") for line in listed.stderr.splitlines())
    for name in [*BAD_DEFINITIONS, "zero", "fifo"]:
        assert f"coach: warning: {user_dir / name}.yaml" in listed.stderr, (name, listed.stderr)

    counted = coach("analyze", series, "--exercise", "my_squat", "--fps", 30)
    assert counted.returncode == 0 and "Traceback" not in counted.stderr, counted.stderr
    assert counted.stdout.startswith("stu9_64.npy: 15 mine reps in 1 set")
    assert f"coach: warning: {user_dir / 'bomb.yaml'}:" in counted.stderr
    assert snapshot(user_dir) == before


def test_two_user_files_with_one_id_say_so(user_dir):
    shutil.copy(user_dir / "my_squat.yaml", user_dir / "my_squat_copy.yaml")
    listed = coach("exercises", "list")
    assert listed.returncode == 0
    assert listed.stderr == (f"coach: warning: {user_dir / 'my_squat_copy.yaml'}: id 'my_squat' is also the id of "
                             "my_squat.yaml; this file replaces it (rename one)\n")


@given(st.data())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_edit_of_a_definition_is_an_exercise_or_a_definition_error(data):
    """Random damage to a real definition (characters in, lines out, values swapped) never
    raises anything but DefinitionError, and every problem has a line in the text."""
    text = SQUAT
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["insert", "delete", "value"]))
        if action == "insert":
            text = text[:at] + data.draw(st.text(max_size=8)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + data.draw(st.integers(1, 40)):]
        else:
            value = data.draw(st.sampled_from([".inf", ".nan", "-1", "1e400", "9" * 50, "[]", "{}", "~", "*x", "&x a",
                                               "!!binary x", "2020-13-45", "[hip, hip, hip]", "'\\x00'", '"\\ud800"']))
            line_start = text.rfind("\n", 0, at) + 1
            colon = text.find(": ", line_start)
            end = text.find("\n", line_start)
            if 0 <= colon < end:
                text = text[:colon + 2] + value + text[end:]
    try:
        assert isinstance(parse(text, "fuzz.yaml"), Exercise)
    except DefinitionError as error:
        lines = text.count("\n") + 1
        assert all(problem.line is None or 1 <= problem.line <= lines + 1 for problem in error.problems), error.problems


# -- video ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def raw_h264(clips_dir, tmp_path_factory) -> Path:
    """A real raw H.264 stream (no container, so no frame count) made by ffmpeg from a clip."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed (make system-deps)")
    path = tmp_path_factory.mktemp("raw") / "jumping_jacks_11.h264"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", clips_dir / "jumping_jacks_11.mp4", "-an", "-c:v", "libx264",
                    "-f", "h264", path], check=True, timeout=120)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".h264", ".mp4"])
def test_a_video_with_no_frame_count_is_counted(raw_h264, tmp_path, suffix):
    video = tmp_path / f"jumping_jacks_11{suffix}"  # the same stream renamed .mp4 too
    shutil.copy(raw_h264, video)
    result = coach("analyze", video, "--exercise", "jumping_jack", "--json")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert '"reps": 11' in result.stdout  # as the clip's label says
    posed = coach("pose", video)
    assert posed.returncode == 0 and "Traceback" not in posed.stderr, posed.stderr
    assert "316 frames" in posed.stdout


@pytest.mark.slow
def test_a_truncated_video_warns_that_decoding_stopped_early(clips_dir, tmp_path):
    video = tmp_path / "squat_side_3.mp4"
    data = (clips_dir / "squat_side_3.mp4").read_bytes()
    video.write_bytes(data[: len(data) // 2])
    result = coach("analyze", video, "--exercise", "squat")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"WARNING coach.sources: {video}: decoding stopped at frame 159 of the 354 the file lists: it may be "
        "truncated or damaged; the counts are from those 159 frames")
    assert "[h264 @" not in result.stderr and "[mov," not in result.stderr  # FFmpeg's own noise


@pytest.mark.parametrize("content", [b"these are not frames", b"", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100])
def test_a_file_that_is_not_a_video_is_one_error_line_with_no_library_noise(tmp_path, content, models_dir):
    # models_dir: the model is loaded before the file is opened.
    fake = tmp_path / "clip.mp4"
    fake.write_bytes(content)
    result = coach("analyze", fake, "--exercise", "squat")
    one_error(result, str(fake))
    # Nothing from OpenCV ("[ WARN:0@0.9] ... VIDEOIO(FFMPEG)") or FFmpeg ("[mov,mp4 @ 0x...]").
    assert not [line for line in result.stderr.splitlines() if "WARN" in line or " @ 0x" in line], result.stderr


# -- the shell: history and app -----------------------------------------------------------------

def test_history_delete_with_stdin_closed_is_one_error_line(tmp_path, series):
    db = tmp_path / "coach.db"
    saved = coach("analyze", series, "--exercise", "squat", "--fps", 30, "--save", "--db", db)
    assert saved.returncode == 0, saved.stderr
    with Store.open(db) as store:
        session_id = int(store.sessions()["id"].iloc[0])
    before = snapshot(tmp_path)
    result = coach("history", "delete", session_id, "--db", db, preexec_fn=lambda: os.close(0))
    assert one_error(result, f"session {session_id}").endswith("stdin is closed (add --yes)")
    assert snapshot(tmp_path) == before


def test_app_refuses_bad_settings_in_one_line_before_starting():
    one_error(coach("app", "--port", free_port(), env={"COACH_MAX_UPLOAD_MB": "lots"}), "COACH_MAX_UPLOAD_MB")
    one_error(coach("app", "--port", free_port(), "--ice-servers", '[{"url": "stun:x"}]'), "COACH_ICE_SERVERS")


def test_app_serves_on_a_port_left_in_time_wait(tmp_path):
    from coach.cli.app import check_free

    port = free_port()
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen()
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the side that closes first keeps the port in TIME_WAIT
        client.recv(1)
        client.close()
    with socket.socket() as plain:  # what the check did before: refused for a minute
        with pytest.raises(OSError):
            plain.bind(("127.0.0.1", port))
    check_free("127.0.0.1", port)  # no error


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.slow
def test_sigterm_to_coach_app_stops_its_server_which_has_the_upload_limit(tmp_path):
    port = free_port()
    app = start_app(tmp_path, port, COACH_MAX_UPLOAD_MB="300")
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, app, tmp_path / "app.log")
    [server] = children(app.pid)
    assert "--server.maxUploadSize=300" in Path(f"/proc/{server}/cmdline").read_text().split("\0")
    stop_app(app)  # SIGTERM, and exit code 0
    assert not Path(f"/proc/{server}").exists()  # stopped and reaped
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/_stcore/health", timeout=5)


@pytest.mark.slow
def test_coach_app_stops_on_sigterm_while_clients_keep_connecting(tmp_path):
    """uvicorn asks the connections it holds to close when it stops listening; one it accepted in
    that same instant joins after the asking, and the server waited for it as long as the client
    kept it open (a browser's idle socket: over a minute). Connections are opened without pause
    while SIGTERM arrives, so that some land in that instant; the app must stop all the same."""
    port = free_port()
    app = start_app(tmp_path, port)
    wait_healthy(f"http://127.0.0.1:{port}", app, tmp_path / "app.log")
    opened: list[socket.socket] = []
    flooding = threading.Event()

    def knock():  # idle connections, as a browser opens ahead of need, until the server refuses
        while True:
            try:
                opened.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            except OSError:
                return
            if len(opened) > 200:  # the newest ones are those that can hold the server up
                opened.pop(0).close()
                flooding.set()

    knocker = threading.Thread(target=knock)
    knocker.start()
    try:
        assert flooding.wait(timeout=60)
        stop_app(app)
    finally:
        app.kill()
        knocker.join()
        for connection in opened:
            connection.close()
