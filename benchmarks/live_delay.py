"""Camera to screen: how late the annotated video shows what the camera saw, in a real browser,
at 30 frames a second, and where that time goes.

`coach app` on 127.0.0.1 and headless Chromium. The page's camera is a worker that paints the
browser's clock (Date.now(), ms) as 24 black and white blocks across the middle of a 640x480
frame, 30 times a second on its own timer, and writes each frame into a MediaStreamTrackGenerator
that getUserMedia returns: off the page's main thread, so Streamlit's reruns do not slow it, as
they do not slow a webcam. The frame goes over WebRTC to the server, through the live worker's
callback (the overlay drawn on it) and back; the page decodes the blocks of each frame it shows
(requestVideoFrameCallback; a bit is what most of its block's inside is, since the overlay draws
the skeleton MoveNet finds on the blocks) and subtracts them from the clock then. That is the
whole path a person sees, less the camera's own exposure and the screen's refresh.

The server runs with benchmarks/delay_probe.py, which reads the same blocks where aiortc
receives, decodes and encodes each frame and where the worker's callback takes it, so each
frame's delay splits into stages (the browser's side from requestVideoFrameCallback's
receiveTime and presentationTime). Prints, per app, the median, 10th and 90th percentiles over
the frames after a warm-up; the frames a second the camera made, Chromium sent and the page
received back (its WebRTC statistics), showed (the video's count of frames presented) and read a
clock from (the callback misses a frame presented while the page's main thread is busy), all over
the same stretch, and the longest gap between frames read; and each stage's median.

--against CHECKOUT (repeatable) runs the app of another checkout (e.g. a worktree of main at an
earlier commit) beside this one's and alternates the streams between them, round after round, so
that a busy machine weighs on all alike. The server figure the page shows (frame arrival to the
skeleton's result) is printed beside.

    .venv/bin/python benchmarks/live_delay.py [--seconds 15] [--rounds 1] [--against ../base ...]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT.parent / "shared" / "models"
BITS = 24
WRAP = 1 << BITS
FPS = 30

# The camera's worker. Chromium has no VideoTrackGenerator in workers, so the page makes a
# MediaStreamTrackGenerator and hands its writable over. (A canvas painted on the page's main
# thread sent only about 26 fps: Streamlit's reruns delayed its ticks.)
PAINTER = """
self.onmessage = async ({ data: { writable, bits, fps } }) => {
  const writer = writable.getWriter();
  const canvas = new OffscreenCanvas(640, 480);
  const g = canvas.getContext("2d");
  const start = performance.now();
  for (let n = 1; ; n++) {
    const now = Date.now() % (1 << bits);
    g.fillStyle = "#808080"; g.fillRect(0, 0, 640, 480);
    for (let i = 0; i < bits; i++) {
      g.fillStyle = (now >> i) & 1 ? "#fff" : "#000";
      g.fillRect(80 + i * 20, 200, 20, 80);
    }
    const frame = new VideoFrame(canvas, { timestamp: Math.round(performance.now() * 1000) });
    await writer.write(frame);
    frame.close();
    // Frame n+1 is due at start + n/fps whatever this one cost: a late tick does not slow the rate.
    await new Promise((resolve) => setTimeout(resolve, start + (n * 1000) / fps - performance.now()));
  }
};
"""

CAMERA = """
(() => {
  const BITS = %d, FPS = %d, PAINTER = %s;
  const stamp = () => {
    const track = new MediaStreamTrackGenerator({ kind: "video" });
    const painter = new Worker(URL.createObjectURL(new Blob([PAINTER], { type: "text/javascript" })));
    painter.postMessage({ writable: track.writable, bits: BITS, fps: FPS }, [track.writable]);
    return new MediaStream([track]);
  };
  if (navigator.mediaDevices) navigator.mediaDevices.getUserMedia = async () => stamp();
  // The page's peer connections, for their statistics.
  window.__pcs = [];
  if (window.RTCPeerConnection) {
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = function (...args) {
      const pc = new Native(...args);
      window.__pcs.push(pc);
      return pc;
    };
    window.RTCPeerConnection.prototype = Native.prototype;
  }
  // Per frame shown: [clock painted, shown, last packet received, presented] (epoch ms) and the
  // video's count of frames presented, which also counts those presented between two callbacks.
  window.__frames = [];
  const read = document.createElement("canvas");
  read.width = 640; read.height = 480;
  const r = read.getContext("2d", { willReadFrequently: true });
  const watch = (video) => {
    if (video.__watched) return;
    video.__watched = true;
    const onFrame = (_, meta) => {
      const shown = Date.now();
      if (video.videoWidth) {
        r.drawImage(video, 0, 0, 640, 480);
        // A bit is white where most of its block's inside is: the overlay draws the skeleton
        // MoveNet finds on the blocks, over a few of their pixels (as delay_probe.stamp reads).
        const band = r.getImageData(0, 210, 640, 60).data;
        let value = 0;
        for (let i = 0; i < BITS; i++) {
          let white = 0, all = 0;
          for (let y = 0; y < 60; y += 2) {
            for (let x = 84 + i * 20; x < 96 + i * 20; x += 2) {
              const at = (y * 640 + x) * 4;
              white += band[at] + band[at + 1] + band[at + 2] > 384;
              all++;
            }
          }
          if (2 * white > all) value |= 1 << i;
        }
        const epoch = (t) => (t === undefined ? null : performance.timeOrigin + t);
        window.__frames.push([value, shown, epoch(meta.receiveTime), epoch(meta.presentationTime),
                              meta.presentedFrames]);
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
  setInterval(() => document.querySelectorAll("video").forEach((v) => v.srcObject && watch(v)), 200);
})();
""" % (BITS, FPS, json.dumps(PAINTER))

STATS = """async () => {
  const out = {};
  for (const pc of window.__pcs) {
    (await pc.getStats()).forEach((s) => {
      if (s.kind === "video" && ["media-source", "outbound-rtp", "inbound-rtp"].includes(s.type)) out[s.type] = s;
    });
  }
  return out;
}"""

# Frame counters of the page's WebRTC statistics, read at both ends of a stream: their rates.
RATES = [
    ("camera", "media-source", "frames"),
    ("sent", "outbound-rtp", "framesSent"),
    ("received back", "inbound-rtp", "framesReceived"),
]

# Stages in the order a frame passes them: (name, from, to), each an event of the joined record.
STAGES = [
    ("browser: capture, encode, send", "painted", "first"),
    ("server: packets arrive", "first", "last"),
    ("server: aiortc jitter buffer", "last", "released"),
    ("server: decode", "released", "decoded"),
    ("server: to the callback", "decoded", "callback_in"),
    ("server: callback (overlay)", "callback_in", "callback_out"),
    ("server: to the encoder", "callback_out", "encode_in"),
    ("server: encode", "encode_in", "encoded"),
    ("back to the browser", "encoded", "received"),
    ("browser: jitter buffer, decode", "received", "presented"),
    ("browser: to the screen", "presented", "shown"),
]


@dataclass
class App:
    """One `coach app` under test, from a checkout."""

    name: str
    checkout: Path
    server: subprocess.Popen | None = None
    url: str = ""
    probe: Path | None = None
    frames: list = field(default_factory=list)  # camera to screen, ms, per frame whose clock was read
    gaps: list = field(default_factory=list)  # ms between frames read
    stages: dict = field(default_factory=dict)  # name -> [ms per frame]
    server_ms: list = field(default_factory=list)
    seconds: float = 0.0
    browser: list = field(default_factory=list)  # the page's WebRTC statistics, per stream
    counted: dict = field(default_factory=dict)  # RATES name or "shown" -> frames over the streams
    undecoded: int = 0  # frames aiortc's decoder refused or gave nothing for


def serve(app: App, home: Path, port: int) -> None:
    home.mkdir()
    site = home / "site"  # a sitecustomize that loads the probe into the server's processes
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'benchmarks')!r})\nimport delay_probe\n")
    app.probe = home / "probe.jsonl"
    env = dict(os.environ, COACH_DB=str(home / "coach.db"), COACH_EXERCISES_DIR=str(home / "exercises"),
               COACH_MODEL_DIR=os.environ.get("COACH_MODEL_DIR", str(MODELS)), COACH_ICE_SERVERS="",
               COACH_DELAY_PROBE=str(app.probe),
               PYTHONPATH=os.pathsep.join([str(site), str(app.checkout)]))
    app.server = subprocess.Popen([sys.executable, "-m", "coach", "app", "--port", str(port)], cwd=home, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    app.url = f"http://127.0.0.1:{port}"


def wait_up(app: App) -> None:
    for _ in range(600):  # 3 minutes: several apps starting at once on a busy machine
        try:
            with urllib.request.urlopen(f"{app.url}/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"coach app ({app.name}) did not start")


def stream(context, app: App, seconds: float, dump: Path | None = None) -> None:
    """One camera stream of `seconds` after a warm-up; adds its frames and stages to `app`."""
    page = context.new_page()
    page.add_init_script(CAMERA)
    page.goto(app.url)
    page.frame_locator("iframe[title*='webrtc']").get_by_role("button", name="START").click(timeout=60_000)
    caption = page.get_by_text(re.compile(r"^Stream [\d.]+ s"))
    caption.wait_for(timeout=60_000)
    page.wait_for_timeout(3000)  # warm-up: the connection's first frames
    # The frame whose video shows the stream (the camera component's iframe).
    frame = max(page.frames, key=lambda f: f.evaluate("() => (window.__frames || []).length"))
    frame.evaluate("() => { window.__frames = []; }")
    app.probe.write_text("")
    first = frame.evaluate(STATS)
    start = time.monotonic()
    while time.monotonic() < start + seconds:
        found = re.search(r"skeleton (\d+) ms", caption.inner_text())
        if found:
            app.server_ms.append(float(found.group(1)))
        page.wait_for_timeout(500)
    shown = frame.evaluate("() => window.__frames")
    last = frame.evaluate(STATS)
    app.seconds += time.monotonic() - start
    app.browser.append(last)
    for name, kind, counter in RATES:
        frames = last.get(kind, {}).get(counter, 0) - first.get(kind, {}).get(counter, 0)
        app.counted[name] = app.counted.get(name, 0) + frames
    if shown:
        app.counted["shown"] = app.counted.get("shown", 0) + shown[-1][4] - shown[0][4]
    page.close()
    probe = [json.loads(line) for line in app.probe.read_text().splitlines()]
    before = len(app.frames)
    join(app, shown, probe)
    app.undecoded += sum(record["stage"] == "undecoded" for record in probe)
    if dump is not None:  # every frame's clocks, to look into a bad stream
        with dump.open("a") as out:
            out.write(json.dumps({"app": app.name, "shown": shown, "probe": probe}) + "\n")
    delays = app.frames[before:]
    if delays:
        print(f"{app.name}: {len(delays)} frames, median {statistics.median(delays):.0f} ms, "
              f"p90 {percentile(delays, 0.9):.0f} ms", flush=True)


def join(app: App, shown: list, probe: list) -> None:
    """Each frame shown, with the probe's records of the same painted clock: its stages."""
    server: dict[int, dict] = {}
    for record in probe:
        events = server.setdefault(record["stamp"], {})
        if record["stage"] == "decoded" and "first" in record:
            events.setdefault("first", record["first"])
            events.setdefault("last", record["last"])
            events.setdefault("released", record["released"])
            events.setdefault("decoded", record["end"])
        elif record["stage"] == "callback":
            events.setdefault("callback_in", record["start"])
            events.setdefault("callback_out", record["end"])
        elif record["stage"] == "encoded":  # a frame sent twice: its first encoding
            events.setdefault("encode_in", record["start"])
            events.setdefault("encoded", record["end"])
    previous = None
    for painted, at, received, presented, _ in shown:
        delay = (at - painted) % WRAP
        if delay >= 10_000:  # a block misread
            continue
        if previous is not None:
            app.gaps.append(at - previous)
        previous = at
        app.frames.append(delay)
        # Epoch ms, unwrapped around the painted clock.
        events = {"painted": 0.0, "shown": delay}
        for name, t in [*server.get(painted, {}).items(), ("received", received), ("presented", presented)]:
            if t is not None:
                events[name] = (t - painted) % WRAP if (t - painted) % WRAP < 10_000 else None
        for name, begin, end in STAGES:
            if events.get(begin) is not None and events.get(end) is not None:
                app.stages.setdefault(name, []).append(events[end] - events[begin])


def percentile(values: list[float], share: float) -> float:
    return sorted(values)[int(share * (len(values) - 1))]


def report(app: App) -> None:
    delays = app.frames
    if not delays:
        print(f"{app.name}: no stamped frame came back")
        return
    print(f"\n{app.name}: camera to screen over {len(delays)} frames: median {statistics.median(delays):.0f} ms, "
          f"p10 {percentile(delays, 0.1):.0f} ms, p90 {percentile(delays, 0.9):.0f} ms; "
          f"longest gap between frames read {max(app.gaps, default=0):.0f} ms, "
          f"gaps over 50 ms: {sum(g > 50 for g in app.gaps)}; frames the server could not decode: {app.undecoded}")
    names = [name for name, _, _ in RATES] + ["shown"]
    rates = ", ".join(f"{name} {app.counted.get(name, 0) / app.seconds:.1f}" for name in names)
    print(f"  frames a second over {app.seconds:.0f} s: {rates}, clock read {len(delays) / app.seconds:.1f}")
    for name, _, _ in STAGES:
        values = app.stages.get(name)
        if values:
            print(f"  {name:34s} median {statistics.median(values):6.1f} ms  p90 {percentile(values, 0.9):6.1f} ms"
                  f"  ({len(values)} frames)")
    for stats in app.browser[-1:]:
        out, into = stats.get("outbound-rtp", {}), stats.get("inbound-rtp", {})
        per = lambda total, count: 1000 * total / count if count else float("nan")  # noqa: E731
        print(f"  Chromium sends {out.get('frameWidth')}x{out.get('frameHeight')} {out.get('encoderImplementation')}, "
              f"encode {per(out.get('totalEncodeTime', 0), out.get('framesEncoded', 0)):.1f} ms/frame, "
              f"pacer {per(out.get('totalPacketSendDelay', 0), out.get('packetsSent', 0)):.1f} ms/packet, "
              f"limited by {out.get('qualityLimitationReason')}; receives {into.get('frameWidth')}x"
              f"{into.get('frameHeight')} {into.get('decoderImplementation')}, jitter buffer "
              f"{per(into.get('jitterBufferDelay', 0), into.get('jitterBufferEmittedCount', 0)):.1f} ms/frame "
              f"(target {per(into.get('jitterBufferTargetDelay', 0), into.get('jitterBufferEmittedCount', 0)):.1f}), "
              f"decode {per(into.get('totalDecodeTime', 0), into.get('framesDecoded', 0)):.1f} ms/frame, "
              f"dropped {into.get('framesDropped')}, freezes {into.get('freezeCount')}")
    if app.server_ms:
        print(f"  the page's server figure (frame arrival to the skeleton's result), median of {len(app.server_ms)} "
              f"polls: {statistics.median(app.server_ms):.0f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="how long each stream runs (default 15)")
    parser.add_argument("--rounds", type=int, default=1, help="streams per app, alternating (default 1)")
    parser.add_argument("--against", type=Path, action="append", default=[],
                        help="another checkout whose app runs beside this one's (repeatable)")
    parser.add_argument("--dump", type=Path, help="append each stream's per-frame clocks to this JSON-lines file")
    args = parser.parse_args()
    apps = [App(str(checkout), checkout.resolve()) for checkout in args.against] + [App(str(ROOT), ROOT)]
    with tempfile.TemporaryDirectory() as folder:
        try:
            for i, app in enumerate(apps):
                serve(app, Path(folder) / f"app{i}", 8600 + (os.getpid() + 7 * i) % 300)
            for app in apps:
                wait_up(app)
            with sync_playwright() as playwright:
                context = playwright.chromium.launch_persistent_context(
                    str(Path(folder) / "profile"), executable_path="/usr/bin/chromium", headless=True,
                    viewport={"width": 1400, "height": 1000},
                    args=["--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream", "--no-first-run"])
                for _ in range(args.rounds):
                    for app in apps:
                        stream(context, app, args.seconds, args.dump)
                context.close()
        finally:
            for app in apps:
                if app.server is not None:
                    app.server.terminate()
                    app.server.wait(15)
    for app in apps:
        report(app)


if __name__ == "__main__":
    main()
