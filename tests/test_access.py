"""Who may use `coach app` (issue 25): the Host and Origin checks on every path, the access key
off loopback on every path (pages, the websocket that carries the widgets and streamlit-webrtc's
signalling, uploads, media, health), and the private files behind it (the key, the HTTPS key).

Two real `coach app` servers: one on 127.0.0.1 (the default), one listening on every address with
a key. Every request goes to 127.0.0.1; a foreign name is only ever a Host or Origin header.
The browser's side (no stored data shown without the key) is in test_access_browser.py."""

from __future__ import annotations

import datetime as dt
import http.client
import os
import socket
import subprocess
import sys

import pytest
from support import free_port, start_app, stop_app, wait_healthy
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from coach.app import access, https, private
from coach.errors import InputError

PASSWORD = "correct-horse-9"
EVIL = "evil.example"


@pytest.fixture(scope="module")
def exposed(tmp_path_factory):
    """`coach app` on every address, as with --https, with a fixed key."""
    home = tmp_path_factory.mktemp("exposed")
    port = free_port()
    server = start_app(home, port, "--host", "0.0.0.0", COACH_PASSWORD=PASSWORD)
    wait_healthy(f"http://127.0.0.1:{port}", server, home / "app.log", key=PASSWORD)
    yield {"port": port, "log": home / "app.log"}
    stop_app(server)


@pytest.fixture(scope="module")
def loopback(tmp_path_factory):
    """`coach app` as `make run` starts it, with one more name it may be reached by."""
    home = tmp_path_factory.mktemp("loopback")
    port = free_port()
    server = start_app(home, port, "--allow-host", "coach.test")
    wait_healthy(f"http://127.0.0.1:{port}", server, home / "app.log")
    yield port
    stop_app(server)


def request(port: int, path: str, method: str = "GET", host: str = "127.0.0.1", **headers) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, headers={"Host": f"{host}:{port}", **headers})
    answer = connection.getresponse()
    answer.text = answer.read().decode()
    connection.close()
    return answer


def websocket(port: int, host: str = "127.0.0.1", origin: str | None = None, query: str = "", **headers) -> int:
    """The status of a websocket handshake on Streamlit's stream: 101 when it opens."""
    origin = origin or f"http://{host}:{port}"
    # Always to 127.0.0.1; the address's name is only the Host header.
    tcp = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        with connect(f"ws://{host}:{port}/_stcore/stream{query}", sock=tcp, origin=origin, open_timeout=30,
                     additional_headers=headers):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


PATHS = ["/", "/history", "/history?session=1", "/_stcore/health", "/_stcore/host-config", "/media/x.png",
         "/static/index.html", "/favicon.png"]


def test_off_loopback_every_path_asks_for_the_key(exposed):
    port = exposed["port"]
    for path in PATHS:
        answer = request(port, path, Accept="text/html")
        assert (path, answer.status) == (path, 401)
        assert "Access key needed" in answer.text
    assert request(port, "/_stcore/upload_file/abc/def", "PUT", **{"Content-Length": "0"}).status == 401
    assert websocket(port) == 403  # every widget, and the camera's WebRTC signalling, go over it
    wrong = request(port, "/?key=not-the-key", Accept="text/html")
    assert wrong.status == 403 and "Wrong access key" in wrong.text
    assert websocket(port, query="?key=not-the-key") == 403


def test_the_terminal_shows_the_address_that_carries_the_key(exposed):
    said = exposed["log"].read_text()
    assert f":{exposed['port']}/?key={PASSWORD} carries" in said and "every browser needs the access key" in said


def test_the_key_opens_every_path_and_a_cookie_remembers_it(exposed):
    port = exposed["port"]
    first = request(port, "/history?key=" + PASSWORD + "&session=2", Accept="text/html")
    # The page is opened again without the key in the address, which the cookie now carries.
    assert first.status == 303 and first.getheader("Location") == "/history?session=2"
    cookie = first.getheader("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and PASSWORD not in cookie
    remembered = cookie.split(";")[0]
    for path in ("/", "/history", "/_stcore/health"):
        assert request(port, path, Cookie=remembered).status == 200
    assert request(port, "/_stcore/health?key=" + PASSWORD).status == 200  # not a page: answered at once
    elsewhere = request(port, f"//{EVIL}/x%20y?key={PASSWORD}", Accept="text/html")
    assert elsewhere.getheader("Location") == f"/{EVIL}/x%20y"  # this app's path, not another site
    assert websocket(port, Cookie=remembered) == 101
    assert request(port, "/", Cookie=remembered.replace("=", "=0")).status == 401


def test_a_request_for_another_name_is_refused_on_every_path(exposed, loopback):
    cookie = request(exposed["port"], f"/?key={PASSWORD}", Accept="text/html").getheader("Set-Cookie").split(";")[0]
    for port, keyed in ((loopback, {}), (exposed["port"], {"Cookie": cookie})):
        for path in ("/", "/_stcore/health", "/history"):
            answer = request(port, path, host=EVIL, **keyed)
            assert answer.status == 421 and "Unknown address" in answer.text
            assert request(port, path, host="localhost", **keyed).status == 200
        assert websocket(port, host=EVIL, **keyed) == 403  # DNS rebinding: evil.example now points here
        assert websocket(port, origin=f"http://{EVIL}", **keyed) == 403  # another site's page
        assert websocket(port, **keyed) == 101
    assert request(loopback, "/_stcore/health", host="coach.test").status == 200  # --allow-host
    assert request(loopback, "/_stcore/health", host="[::1]").status == 200


def test_the_access_key_is_made_once_kept_private_and_never_read_through_a_link(tmp_path, monkeypatch):
    monkeypatch.delenv(access.PASSWORD_ENV, raising=False)
    key = access.access_key(tmp_path)
    path = tmp_path / access.KEY_FILE
    assert len(key) >= 20 and path.stat().st_mode & 0o777 == 0o600
    assert access.access_key(tmp_path) == key  # remembered browsers stay in
    path.chmod(0o644)
    assert access.access_key(tmp_path) == key and path.stat().st_mode & 0o777 == 0o600
    assert access.access_key(tmp_path, "my-own-key") == "my-own-key"
    monkeypatch.setenv(access.PASSWORD_ENV, "from-the-env")
    assert access.access_key(tmp_path) == "from-the-env"
    with pytest.raises(InputError, match="at least 8 characters"):
        access.access_key(tmp_path, "short")
    monkeypatch.delenv(access.PASSWORD_ENV)
    path.unlink()
    (tmp_path / "elsewhere").write_text("planted-key-1234567890")
    path.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(InputError, match="not a link"):
        access.access_key(tmp_path)


def test_a_short_password_is_one_line_before_the_server_starts(tmp_path):
    env = dict(os.environ, COACH_DB=str(tmp_path / "coach.db"))
    done = subprocess.run([sys.executable, "-m", "coach", "app", "--host", "0.0.0.0", "--port", str(free_port()),
                           "--password", "short"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["coach: error: --password/COACH_PASSWORD must be at least 8 "
                                                "characters, no spaces"]


def test_the_https_key_is_renewed_private_and_a_link_in_its_place_is_replaced_not_followed(tmp_path):
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    cert, key = https.certificate(tmp_path, "192.168.1.20", now)
    key.chmod(0o644)  # as an older coach left it
    https.certificate(tmp_path, "192.168.1.20", now + dt.timedelta(days=360))  # renewed
    assert key.stat().st_mode & 0o777 == 0o600
    target = tmp_path / "victim.txt"
    target.write_text("not a key")
    key.unlink()
    key.symlink_to(target)
    https.certificate(tmp_path, "192.168.1.20", now)
    assert target.read_text() == "not a key"
    assert not key.is_symlink() and key.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" in key.read_bytes()


def test_a_private_file_is_written_whole_and_mode_0600_over_anything(tmp_path):
    path = tmp_path / "secret"
    path.write_text("old")
    path.chmod(0o666)
    private.write(path, b"new")
    assert path.read_bytes() == b"new" and path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret"]  # no partial file left
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(InputError, match="not a small regular file"):
        private.read(tmp_path / "fifo")
