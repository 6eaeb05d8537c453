"""`coach app --https` (a self-signed certificate kept in the data folder, the phone's address and
its QR code on the page), closing the tab (the session is interrupted), and the app's lifecycle
(a restart on the same port at once). One `coach app --https` and one Chromium for the module,
the fake camera playing 6 s of a shared clip."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from support import ROOT, free_port, missing, start_app, stop_app, wait_healthy

from coach.app import https

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "out" / "screenshots"
HANG_S = 60
PASSWORD = "phone-camera-1"


def test_the_certificate_is_kept_reused_and_renewed_before_it_expires(tmp_path):
    from cryptography import x509

    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    cert, key = https.certificate(tmp_path, "192.168.1.20", now)
    first = cert.read_bytes()
    made = x509.load_pem_x509_certificate(first)
    names = made.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(a) for a in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "192.168.1.20"}
    assert key.stat().st_mode & 0o077 == 0  # the private key is the user's alone
    assert https.certificate(tmp_path, "192.168.1.20", now + dt.timedelta(days=300))[0].read_bytes() == first
    # Renewed within RENEW_BEFORE of expiry, and when the machine's address changed.
    assert https.certificate(tmp_path, "192.168.1.20", now + dt.timedelta(days=360))[0].read_bytes() != first
    again = cert.read_bytes()
    assert https.certificate(tmp_path, "10.0.0.5", now + dt.timedelta(days=360))[0].read_bytes() != again


@pytest.fixture(scope="module")
def app(tmp_path_factory, models_dir):
    home = tmp_path_factory.mktemp("https-app")
    port = free_port()
    server = start_app(home, port, "--https", COACH_PASSWORD=PASSWORD)  # every address: the app asks for its key
    url = f"https://127.0.0.1:{port}"
    wait_healthy(url, server, home / "app.log", key=PASSWORD)
    yield {"url": url, "home": home, "port": port}
    stop_app(server)


@pytest.fixture(scope="module")
def browser(clips_dir, tmp_path_factory):
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists() or not shutil.which("ffmpeg"):
        missing("chromium or ffmpeg is missing: `make system-deps` installs them")
    folder = tmp_path_factory.mktemp("camera")
    clip = folder / "squats.y4m"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-t", "6", "-i", str(clips_dir / "squat_side_3.mp4"),
                    "-vf", "scale=480:-2", "-pix_fmt", "yuv420p", str(clip)], check=True)
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(folder / "profile"), executable_path=CHROMIUM, headless=True, ignore_https_errors=True,
            viewport={"width": 1400, "height": 1000},
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                  f"--use-file-for-fake-video-capture={clip}"])
        context.set_default_timeout(HANG_S * 1000)
        playwright_api.expect.set_options(timeout=30_000)  # a loaded machine starts the page slowly
        yield context, playwright_api.expect
        context.close()


def sessions(app):
    import sqlite3

    with sqlite3.connect(app["home"] / "coach.db") as db:
        return db.execute("select id, status from sessions order by id").fetchall()


def test_over_https_the_page_shows_the_phones_address_and_the_camera_starts(app, browser):
    context, expect = browser
    page = context.new_page()
    page.goto(f"{app['url']}/?key={PASSWORD}")
    phone = f"https://{https.lan_ip()}:{app['port']}/?key={PASSWORD}"
    expect(page.get_by_test_id("stSidebar").get_by_text(phone).first).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_role("img")).to_be_visible()  # the QR code
    assert page.evaluate("window.isSecureContext")
    camera = page.frame_locator("iframe[title*='webrtc']")
    camera.get_by_role("button", name="START").click()
    expect(page.get_by_text("Stream ", exact=False).first).to_be_visible()  # frames reach the worker
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "https-phone-address.png")
    deadline = time.monotonic() + HANG_S
    while not sessions(app) and time.monotonic() < deadline:
        time.sleep(0.2)  # the workout is stored from when counting starts, after the 3-2-1

    # STOP on the open page saves the workout as complete; START at once (while the stopped one
    # is still being saved) starts a new workout.
    camera.get_by_role("button", name="STOP").click()
    expect(page.get_by_text("Pick the person and the exercise")).to_be_visible()  # the STOP's rerun
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    camera.get_by_role("button", name="START").click()
    deadline = time.monotonic() + HANG_S
    while (len(sessions(app)) < 2 or sessions(app)[0][1] == "running") and time.monotonic() < deadline:
        time.sleep(0.2)  # the new workout's first frame, and the stopped one saved
    assert [status for _, status in sessions(app)] == ["complete", "running"]

    # Closing the tab mid-workout: the session is saved as interrupted (the README's promise).
    before = time.monotonic()
    page.close()
    deadline = before + HANG_S
    while sessions(app)[-1][1] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    print(f"\ntab closed -> session {sessions(app)[-1]} after {time.monotonic() - before:.1f} s")
    assert [status for _, status in sessions(app)] == ["complete", "interrupted"]


def test_coach_app_restarts_at_once_on_the_same_port(tmp_path, models_dir):
    """SIGTERM stops coach app and its Streamlit child; started again at once, it serves (the
    port's TIME_WAIT sockets do not block it: SO_REUSEADDR)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    for _ in range(2):
        server = start_app(tmp_path, port)
        wait_healthy(url, server, tmp_path / "app.log")
        with urllib.request.urlopen(url, timeout=5) as answer:  # a connection, as a browser leaves one
            assert answer.status == 200
        stop_app(server)
    assert "cannot serve" not in (tmp_path / "app.log").read_text()
