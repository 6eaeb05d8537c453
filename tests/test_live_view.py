"""The workout as a person 2-3 m from the screen gets it (issue 11): every rep spoken as it is
counted, and the video, count, cue, STOP and End workout in view without scrolling at a desktop,
a laptop and a phone-sized window. Chromium's fake camera plays squat_side_3 (3 reps); an init
script records each `speechSynthesis.speak` call and each change of the count on the page, both
on the browser's clock, so the 1 s bound is measured where the person is, not on the server."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import time

import pytest

# The app and page helpers of the main browser test; this module has its own camera and browser.
from test_browser import CHROMIUM, PAGE_TIMEOUT_MS, app, expect, open_page, playwright_api, require_tool, settle, shots  # noqa: F401

pytestmark = pytest.mark.browser

# Still frames before the squats: the first frame reaches the server a moment after the camera
# started, then the set-up check passes and the 3 s countdown runs before counting starts.
LEAD_IN_S = 7.0
SIZES = [(1920, 1080), (1400, 1000), (390, 844)]  # desktop, laptop, a phone held upright
# The spoken count must come within this of the count shown (the bound).
SPOKEN_WITHIN_S = 1.0

RECORDER = """
window.__coach = { spoken: [], counts: [], phases: [], banners: [], blanks: [] };
if (window.speechSynthesis) {
  const speak = window.speechSynthesis.speak.bind(window.speechSynthesis);
  window.speechSynthesis.speak = (utterance) => {
    window.__coach.spoken.push({ text: utterance.text, t: Date.now() });
    speak(utterance);
  };
}
document.addEventListener("DOMContentLoaded", () => {
  let last = null, lastPhase = null, lastBanner = null, blank = false;
  new MutationObserver(() => {
    const cue = document.querySelector("[data-testid=coach-cue]");
    const banner = cue ? cue.textContent.trim() : null;
    if (banner !== null && banner !== lastBanner) {
      lastBanner = banner;
      window.__coach.banners.push({ text: banner, t: Date.now() });
    }
    const line = document.querySelector(".coach-phase");
    const phase = line ? line.textContent.trim() : null;
    if (phase !== null && phase !== lastPhase) {
      lastPhase = phase;
      window.__coach.phases.push({ text: phase, t: Date.now() });
    }
    const value = document.querySelector(".st-key-live-panel [data-testid=stMetricValue]");
    const text = value ? value.textContent.trim() : null;
    if (text === null && last !== null && document.querySelector(".st-key-live-panel [data-testid=coach-cue]")) {
      if (!blank) window.__coach.blanks.push({ text: last, t: Date.now() });  // the count gone from a drawn panel
      blank = true;
    } else if (text !== null) {
      blank = false;
    }
    if (text !== null && text !== last) {
      last = text;
      window.__coach.counts.push({ text, t: Date.now() });
    }
  }).observe(document.documentElement, { subtree: true, childList: true, characterData: true });
});
"""


def camera(clips_dir, folder, name: str, crop: str | None = None, fps: int = 15):
    """squat_side_3 as the y4m Chromium's fake camera plays, after LEAD_IN_S s of its first frame;
    `crop` an ffmpeg crop for another shape of camera, `fps` its frame rate. Returns (path, seconds)."""
    ffmpeg = require_tool(shutil.which("ffmpeg") or "/usr/bin/ffmpeg")
    out = folder / f"{name}.y4m"
    shape = f"{crop}," if crop else ""
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(clips_dir / "squat_side_3.mp4"), "-vf",
                    f"{shape}scale=-2:480,fps={fps},tpad=start_duration={LEAD_IN_S}:start_mode=clone",
                    "-pix_fmt", "yuv420p", str(out)], check=True)
    seconds = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                    str(out)], check=True, capture_output=True, text=True).stdout)
    return out, seconds


def launch(playwright, clip, profile, size):
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, viewport={"width": size[0], "height": size[1]},
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--use-fake-device-for-media-stream",
              "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required",
              f"--use-file-for-fake-video-capture={clip}"])
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    context.add_init_script(RECORDER)
    return context


@pytest.fixture(scope="module")
def playwright():
    require_tool(CHROMIUM)
    with playwright_api.sync_playwright() as running:
        yield running


def start(page, app, exercise: str = "Squat"):
    from test_browser import choose

    open_page(page, app, "")
    choose(page, "Exercise", exercise)
    page.frame_locator("iframe[title*='webrtc']").get_by_role("button", name="START").click()
    expect(page.get_by_text(re.compile(r"^Stream [\d.]+ s"))).to_be_visible()


def stream_time(page) -> float:
    return float(re.search(r"Stream ([\d.]+) s", page.get_by_text(re.compile(r"^Stream [\d.]+ s")).inner_text()).group(1))


def recorded(page) -> dict:
    """What the init script recorded, from every frame of the page (a component may be in one)."""
    found = {"spoken": [], "counts": [], "phases": [], "banners": [], "blanks": []}
    for frame in page.frames:
        log = frame.evaluate("() => window.__coach || null")
        for key in found if log else ():
            found[key] += log[key]
    return {key: sorted(items, key=lambda item: item["t"]) for key, items in found.items()}


def wait_until(page, condition, what: str):
    """Until `condition()` holds, as `expect` waits for an element: the page's own state, never a
    fixed time (on a loaded machine the end's announcement or a relayout may take seconds)."""
    deadline = time.monotonic() + PAGE_TIMEOUT_MS / 1000
    while not condition():
        assert time.monotonic() < deadline, f"still not {what} after {PAGE_TIMEOUT_MS / 1000:g} s"
        page.wait_for_timeout(200)


def test_each_squat_is_spoken_within_a_second_of_its_count(playwright, app, clips_dir, tmp_path, shots):  # noqa: F811
    clip, seconds = camera(clips_dir, tmp_path, "squat_side_3")
    context = launch(playwright, clip, tmp_path / "profile", (1400, 1000))
    page = context.new_page()
    start(page, app)
    deadline = time.monotonic() + seconds * 4 + 60
    while stream_time(page) < seconds and time.monotonic() < deadline:
        page.wait_for_timeout(300)
    page.get_by_role("button", name="End workout").click()
    expect(page.get_by_text(re.compile(r"Workout saved: \d+ squat reps?"))).to_be_visible()
    wait_until(page, lambda: any(s["text"].startswith("Workout saved") for s in recorded(page)["spoken"]),
               "the end announced")
    log = recorded(page)
    # The summary card, read back from the history: the app's database is fresh, so no last time.
    card = page.locator(".st-key-live-summary")
    expect(card).to_contain_text("Squat: this workout")
    expect(card.locator("table")).to_contain_text("Reps per set")
    expect(card.locator("table")).to_contain_text(re.compile(r"Time per rep\d+\.\d s \(\d+\.\d s descending, "
                                                             r"\d+\.\d s pause at bottom, \d+\.\d s ascending\)"))
    expect(card).to_contain_text("Your first workout of this exercise")
    card.scroll_into_view_if_needed()
    page.screenshot(path=shots / "live_summary_card.png", full_page=True)
    context.close()
    print("spoken:", [s["text"] for s in log["spoken"]], "counts:", [c["text"] for c in log["counts"]])
    shown = [(int(c["text"]), c["t"]) for c in log["counts"] if c["text"].isdigit()]
    numbers = [s for s in log["spoken"] if s["text"].isdigit()]
    # Every counted rep spoken, in order, once; each within a second of the page first showing
    # a count that includes it (a set's first two reps are counted on consecutive frames, so the
    # page may go from 0 to 2).
    assert [s["text"] for s in numbers] == ["1", "2", "3"]
    assert max(n for n, _ in shown) == 3
    first_shown = {str(k): min(t for n, t in shown if n >= k) for k in (1, 2, 3)}
    late = {s["text"]: (s["t"] - first_shown[s["text"]]) / 1000 for s in numbers}
    print("spoken after the count shown (s):", late)
    assert all(abs(delay) <= SPOKEN_WITHIN_S for delay in late.values()), late
    assert log["spoken"][-1]["text"].startswith("Workout saved: 3 reps")
    # Set up after the countdown, the first squat counts as it ends (issue 27): the page goes
    # 0, 1, 2, 3, and never holds a rep back for the next ("1 rep done").
    assert [n for n, _ in shown] == [0, 1, 2, 3], shown
    assert not any("1 rep done" in p["text"] for p in log["phases"]), log["phases"]


def test_a_slow_camera_is_said_and_its_reps_flagged(playwright, app, clips_dir, tmp_path, shots):  # noqa: F811
    """Side-view squats from a camera giving 8 fps: the page says that 8 fps is too few for squats
    and how to fix it, and the reps counted meanwhile are saved flagged low_fps, as the card says.
    (A camera on the wrong side counts its reps flagged wrong_view: tests/test_worker.py.)"""
    clip, seconds = camera(clips_dir, tmp_path, "squat_side_3_8fps", fps=8)
    context = launch(playwright, clip, tmp_path / "profile", (1400, 1000))
    page = context.new_page()
    start(page, app)
    expect(page.get_by_text(re.compile(r"Analysing \d fps: squat needs 15 fps"))).to_be_visible()
    page.screenshot(path=shots / "live_slow.png")
    deadline = time.monotonic() + seconds * 4 + 60
    while stream_time(page) < seconds and time.monotonic() < deadline:
        page.wait_for_timeout(300)
    page.get_by_role("button", name="End workout").click()
    card = page.locator(".st-key-live-summary")
    expect(card.locator("table")).to_contain_text(re.compile(r"Doubtful reps.*\d+ low_fps"))
    page.screenshot(path=shots / "live_slow_saved.png", full_page=True)
    context.close()


def box_of(locator):
    """The element's box once it is drawn: the panel is redrawn on every poll, and between two
    drawings an element may be briefly gone."""
    for _ in range(20):
        expect(locator).to_be_visible()
        box = locator.bounding_box()
        if box is not None:
            return box
    return None


def in_view(box, size) -> bool:
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size[1] + 1 \
        and box["x"] >= 0 and box["x"] + box["width"] <= size[0] + 1


@pytest.mark.parametrize("shape", ["landscape", "portrait"])
def test_the_workout_view_fits_each_window_with_a_count_read_across_the_room(playwright, app, clips_dir, tmp_path,
                                                                             shots, shape):  # noqa: F811
    # A portrait camera: a phone held upright (the middle of the clip, 3:4).
    clip, _ = camera(clips_dir, tmp_path, f"squat_{shape}", crop=None if shape == "landscape" else "crop=ih*3/4:ih")
    context = launch(playwright, clip, tmp_path / "profile", SIZES[0])
    page = context.new_page()
    start(page, app)
    camera_frame = page.frame_locator("iframe[title*='webrtc']")
    video = camera_frame.locator("video").first
    expect(page.get_by_test_id("coach-cue")).to_be_visible()
    elements = {"video": video, "STOP": camera_frame.get_by_role("button", name="STOP"),
                "End workout": page.get_by_role("button", name="End workout"), "cue": page.get_by_test_id("coach-cue"),
                "count": page.locator(".st-key-live-panel [data-testid=stMetricValue]").first}
    for size in SIZES:
        page.set_viewport_size({"width": size[0], "height": size[1]})
        name = f"live-view-{shape}-{size[0]}x{size[1]}"
        # The layout settles and the next poll redraws the panel at the new size (a fixed 1.5 s
        # was too short on a loaded machine): wait until the page reports the new window and
        # everything is laid out inside it; a layout that never fits fails here after the timeout.
        page.wait_for_function("([w, h]) => window.innerWidth === w && window.innerHeight === h", arg=list(size))
        wait_until(page, lambda: all(in_view(box_of(found), size) for found in elements.values()),
                   f"everything in the window at {name}")
        page.screenshot(path=str(shots / f"{name}.png"))
        boxes = {name: box_of(found) for name, found in elements.items()}
        print(name, {k: None if b is None else (round(b["x"]), round(b["y"]), round(b["width"]), round(b["height"]))
                     for k, b in boxes.items()})
        outside = [k for k, box in boxes.items() if not in_view(box, size)]
        assert not outside, f"{name}: {outside} not in the window without scrolling"
        assert boxes["count"]["height"] >= 0.15 * boxes["video"]["height"], name
    settle(page)
    context.close()


# The panel's count and the video's picture in one go, so that both are of the same moment.
PANEL_AND_VIDEO = """() => {
  const video = document.querySelector("iframe[title*='webrtc']").contentDocument.querySelector("video");
  const value = document.querySelector(".st-key-live-panel [data-testid=stMetricValue]");
  if (!video || !video.videoWidth || !value) return null;
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  return { panel: value.textContent.trim(), image: canvas.toDataURL("image/png") };
}"""


def video_count(data_url: str, camera_size: tuple[int, int]) -> int | None:
    """The count the overlay drew on a video frame: the one whose digits, drawn by the overlay's
    own big_count on a camera frame and scaled to the video's size (WebRTC may send it smaller),
    best match the frame's white pixels in the count's rows (None when none matches: no count)."""
    import cv2
    import numpy as np

    from coach.app.overlay import big_count
    from coach.render import hud_unit
    from coach.types import FrameResult

    image = cv2.imdecode(np.frombuffer(base64.b64decode(data_url.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
    white = (image > 200).all(axis=2)

    def drawn(n):
        blank = np.zeros((camera_size[1], camera_size[0], 3), np.uint8)
        big_count(blank, FrameResult(0.0, None, {}, "", n, 0, True), hud_unit(blank))
        return cv2.resize(blank, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_AREA)[..., 0] > 127

    widest = drawn(88)  # the count's box: shaded, so that its only white is the digits
    rows, columns = np.flatnonzero(widest.any(axis=1)), np.flatnonzero(widest.any(axis=0))
    box = (slice(rows.min(), rows.max() + 1), slice(0, columns.max() + 1))
    scores = {}
    for n in range(40):
        mask = drawn(n)[box]
        scores[n] = (mask & white[box]).sum() / max(1, (mask | white[box]).sum())
    best = max(scores, key=scores.get)
    return best if scores[best] > 0.5 else None


def test_a_countdown_starts_the_count_and_a_pause_keeps_it_with_the_video_saying_what_the_panel_says(
        playwright, app, clips_dir, tmp_path, shots):  # noqa: F811
    """After START the page counts down 3-2-1, shown and spoken, before anything is counted;
    Pause keeps the count while the stream runs on and counts nothing; Resume counts down again
    and the count goes on. Every sample of the panel and the video together shows the video's
    count no further on than the panel's (the overlay draws the result the panel shows), and the
    panel's count is never blank."""
    clip, seconds = camera(clips_dir, tmp_path, "squat_side_3_pause")
    camera_size = tuple(int(v) for v in subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", str(clip)],
        check=True, capture_output=True, text=True).stdout.strip().split(","))
    context = launch(playwright, clip, tmp_path / "profile", (1400, 900))
    page = context.new_page()
    start(page, app)
    cue = page.get_by_test_id("coach-cue")
    expect(cue).to_contain_text("Get ready: 3")
    page.screenshot(path=shots / "live-countdown-1400x900.png")
    samples = []

    def sample():
        both = page.evaluate(PANEL_AND_VIDEO)
        if both and both["panel"].isdigit():
            samples.append((int(both["panel"]), video_count(both["image"], camera_size)))
            (shots / "live-video-sample.png").write_bytes(base64.b64decode(both["image"].split(",", 1)[1]))

    deadline = time.monotonic() + seconds * 4 + 60
    while int(page.locator(".st-key-live-panel [data-testid=stMetricValue]").first.inner_text()) < 1:
        assert time.monotonic() < deadline, "no squat counted"
        sample()
        page.wait_for_timeout(150)
    page.get_by_role("button", name="Pause").click()
    expect(cue).to_contain_text("Paused")
    paused_at, paused_count = stream_time(page), page.locator(".st-key-live-panel [data-testid=stMetricValue]").first.inner_text()
    page.screenshot(path=shots / "live-paused-1400x900.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(1000)
    page.screenshot(path=shots / "live-paused-390x844.png")
    page.set_viewport_size({"width": 1400, "height": 900})
    while stream_time(page) < paused_at + seconds:  # a whole play-through of squats, paused
        assert time.monotonic() < deadline
        page.wait_for_timeout(300)
    assert page.locator(".st-key-live-panel [data-testid=stMetricValue]").first.inner_text() == paused_count
    page.get_by_role("button", name="Resume").click()
    expect(cue).to_contain_text("Get ready")
    resumed_at = stream_time(page)
    while stream_time(page) < resumed_at + seconds:
        assert time.monotonic() < deadline
        sample()
        page.wait_for_timeout(150)
    final = int(page.locator(".st-key-live-panel [data-testid=stMetricValue]").first.inner_text())
    page.get_by_role("button", name="End workout").click()
    saved = page.get_by_text(re.compile(r"Workout saved: \d+ squat reps?"))
    expect(saved).to_be_visible()
    # Ending counts a set's first rep that waited for its second (README: "1 rep done").
    assert int(re.search(r"(\d+) squat", saved.inner_text()).group(1)) in (final, final + 1)
    log = recorded(page)
    context.close()
    said = [s["text"] for s in log["spoken"]]
    print("spoken:", said, "banners:", [b["text"] for b in log["banners"]][:12], "samples (panel, video):", samples,
          "blanks:", len(log["blanks"]))
    assert final > int(paused_count)
    # Shown and said in order, twice: after START and after Resume, each before counting.
    shown = [b["text"] for b in log["banners"] if b["text"].startswith("Get ready")]
    assert shown[:3] == ["Get ready: 3", "Get ready: 2", "Get ready: 1"]
    words = [w for w in said if w in ("Three", "Two", "One", "Go!", "Paused.")]
    assert words[:5] == ["Three", "Two", "One", "Go!", "Paused."], (said, log["banners"])
    # After Resume the clip plays on wherever it was: a countdown starts again only when the body
    # was out of view long enough for the page to say so (coach.app.workout.COUNTDOWN_DROPOUT_S).
    after = words[5:]
    banners = [b["text"] for b in log["banners"]]
    left_view = sum(text.startswith("Step into view") for text in banners[banners.index("Paused"):])
    assert after[-4:] == ["Three", "Two", "One", "Go!"] and "Go!" not in after[:-4], (said, banners)
    assert after.count("Three") - 1 <= left_view, (said, banners)
    first_number = next(s["t"] for s in log["spoken"] if s["text"].isdigit())
    go = next(s["t"] for s in log["spoken"] if s["text"] == "Go!")
    assert go < first_number
    # The panel's count never went blank while the panel was drawn (it did 7 times in one run
    # when each poll drew a new container).
    assert not log["blanks"], log["blanks"]
    read = [(panel, video) for panel, video in samples if video is not None]
    assert len(read) > len(samples) / 2, samples  # the overlay's count was read on most samples
    assert all(video <= panel for panel, video in read), read
