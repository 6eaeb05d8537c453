"""Frames a second through the live page with a camera that keeps its own time: Chromium's fake
camera playing a clip at --fps (squat_side_3, 480 lines high), `coach app` on 127.0.0.1. Prints,
every few seconds, the page's own caption (the camera's rate, the rate analysed, how far the
skeleton trails), then the rate the annotated video was shown at (requestVideoFrameCallback on
the page's video, over --seconds).

benchmarks/live_delay.py measures the delay and the frame rates at 30 fps with a camera that
paints its clock on a grey frame; this one's camera shows a person, so the pose model and the
overlay do a real session's work, and it prints what the page itself says of the rates.

    .venv/bin/python benchmarks/live_fps.py [--fps 30] [--seconds 15]
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "tests"))

from support import free_port, start_app, wait_healthy  # noqa: E402

# Counts the frames the page's video shows; the video is in the camera component's iframe.
COUNT_SHOWN = """() => {
  window.__shown = 0;
  const watch = () => {
    const video = [...document.querySelectorAll("iframe")]
      .map((f) => f.contentDocument && f.contentDocument.querySelector("video")).find(Boolean);
    if (!video) return setTimeout(watch, 200);
    const shown = () => { window.__shown++; video.requestVideoFrameCallback(shown); };
    video.requestVideoFrameCallback(shown);
  };
  watch();
}"""


def camera_file(folder: Path, fps: int) -> Path:
    clip = folder / "camera.y4m"
    subprocess.run([shutil.which("ffmpeg") or "/usr/bin/ffmpeg", "-v", "error", "-y", "-i",
                    str(SHARED / "data" / "clips" / "squat_side_3.mp4"), "-vf", f"scale=-2:480,fps={fps}",
                    "-pix_fmt", "yuv420p", str(clip)], check=True)
    return clip


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fps", type=int, default=30, help="the camera's frame rate (default 30)")
    parser.add_argument("--seconds", type=float, default=15.0, help="how long to count frames shown (default 15)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        clip = camera_file(home, args.fps)
        port = free_port()
        server = start_app(home, port, COACH_MODEL_DIR=str(SHARED / "models"))
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, server, home / "app.log")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
                    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                    f"--use-file-for-fake-video-capture={clip}"])
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(url)
                page.frame_locator("iframe[title*='webrtc']").get_by_role("button", name="START").click(timeout=60_000)
                caption = page.get_by_text(re.compile(r"^Stream [\d.]+ s"))
                caption.wait_for(timeout=60_000)
                page.wait_for_timeout(3000)  # warm-up: the connection's first frames
                page.evaluate(COUNT_SHOWN)
                page.wait_for_timeout(500)
                first, start = page.evaluate("() => window.__shown"), time.monotonic()
                while time.monotonic() < start + args.seconds:
                    page.wait_for_timeout(5000)
                    print(caption.inner_text(), flush=True)
                shown = page.evaluate("() => window.__shown") - first
                print(f"camera {args.fps} fps: video shown at {shown / (time.monotonic() - start):.1f} fps "
                      f"({shown} frames)")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
