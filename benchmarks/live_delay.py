"""Camera to screen: how late the annotated video shows what the camera saw, in a real browser.

`coach app` on 127.0.0.1 and headless Chromium; the page's camera is a canvas that paints the
browser's clock (Date.now(), ms) as 24 black and white blocks across the middle of each frame.
The frame goes over WebRTC to the server, through the live worker's callback (the overlay drawn
on it) and back; the page decodes the blocks of each frame it shows (requestVideoFrameCallback)
and subtracts them from the clock then. That is the whole path a person sees, less the camera's
own exposure and the screen's refresh. Prints the median, 10th and 90th percentiles over the
frames after a warm-up, and beside it the server's figure the page shows (frame arrival to the
skeleton's result), measured in the same run.

    .venv/bin/python benchmarks/live_delay.py [--seconds 20]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT.parent / "shared" / "models"
BITS = 24

CAMERA = """
(() => {
  const BITS = %d;
  const stamp = () => {
    const canvas = document.createElement("canvas");
    canvas.width = 640; canvas.height = 480;
    const g = canvas.getContext("2d");
    setInterval(() => {
      const now = Date.now() %% (1 << BITS);
      g.fillStyle = "#808080"; g.fillRect(0, 0, 640, 480);
      for (let i = 0; i < BITS; i++) {
        g.fillStyle = (now >> i) & 1 ? "#fff" : "#000";
        g.fillRect(80 + i * 20, 200, 20, 80);
      }
    }, 1000 / 30);
    return canvas.captureStream(30);
  };
  if (navigator.mediaDevices) navigator.mediaDevices.getUserMedia = async () => stamp();
  window.__delays = [];
  const read = document.createElement("canvas");
  read.width = 640; read.height = 480;
  const r = read.getContext("2d", { willReadFrequently: true });
  const watch = (video) => {
    if (video.__watched) return;
    video.__watched = true;
    const onFrame = () => {
      const shown = Date.now();
      if (video.videoWidth) {
        r.drawImage(video, 0, 0, 640, 480);
        let value = 0;
        for (let i = 0; i < BITS; i++) {
          const px = r.getImageData(90 + i * 20, 240, 1, 1).data;
          if (px[0] > 128) value |= 1 << i;
        }
        window.__delays.push((shown %% (1 << BITS)) - value);
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
  setInterval(() => document.querySelectorAll("video").forEach((v) => v.srcObject && watch(v)), 200);
})();
""" % BITS


def serve(home: Path) -> tuple[subprocess.Popen, str]:
    port = 8600 + os.getpid() % 300
    env = dict(os.environ, COACH_DB=str(home / "coach.db"), COACH_EXERCISES_DIR=str(home / "exercises"),
               COACH_MODEL_DIR=os.environ.get("COACH_MODEL_DIR", str(MODELS)), COACH_ICE_SERVERS="")
    server = subprocess.Popen([sys.executable, "-m", "coach", "app", "--port", str(port)], cwd=home, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return server, url
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("coach app did not start")


def percentile(values: list[float], share: float) -> float:
    return sorted(values)[int(share * (len(values) - 1))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to stream (default 20)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        server, url = serve(Path(folder))
        try:
            with sync_playwright() as playwright:
                context = playwright.chromium.launch_persistent_context(
                    str(Path(folder) / "profile"), executable_path="/usr/bin/chromium", headless=True,
                    viewport={"width": 1400, "height": 1000},
                    args=["--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream", "--no-first-run"])
                context.add_init_script(CAMERA)
                page = context.new_page()
                page.goto(url)
                page.frame_locator("iframe[title*='webrtc']").get_by_role("button", name="START").click(timeout=60_000)
                caption = page.get_by_text(re.compile(r"^Stream [\d.]+ s"))
                caption.wait_for(timeout=60_000)
                page.wait_for_timeout(3000)  # warm-up: the connection's first frames
                # The frame whose video shows the stream (the camera component's iframe).
                frame = max(page.frames, key=lambda f: f.evaluate("() => (window.__delays || []).length"))
                frame.evaluate("() => { window.__delays = []; }")
                server_ms = []
                end = time.monotonic() + args.seconds
                while time.monotonic() < end:
                    found = re.search(r"skeleton (\d+) ms", caption.inner_text())
                    if found:
                        server_ms.append(float(found.group(1)))
                    page.wait_for_timeout(500)
                delays = [d for d in frame.evaluate("() => window.__delays") if 0 <= d < 10_000]
                context.close()
        finally:
            server.terminate()
            server.wait(15)
    if not delays:
        raise SystemExit("no stamped frame came back")
    print(f"camera to screen over {len(delays)} frames: median {statistics.median(delays):.0f} ms, "
          f"p10 {percentile(delays, 0.1):.0f} ms, p90 {percentile(delays, 0.9):.0f} ms")
    if server_ms:
        print(f"the page's server figure (frame arrival to the skeleton's result), median of {len(server_ms)} "
              f"polls: {statistics.median(server_ms):.0f} ms; ratio camera-to-screen / server "
              f"{statistics.median(delays) / max(1.0, statistics.median(server_ms)):.1f}")


if __name__ == "__main__":
    main()
