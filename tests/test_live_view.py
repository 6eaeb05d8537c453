"""The workout as a person 2-3 m from the screen gets it (issue 11): every rep spoken as it is
counted, and the video, count, cue, STOP and End workout in view without scrolling at a desktop,
a laptop and a phone-sized window. Chromium's fake camera plays squat_side_3 (3 reps); an init
script records each `speechSynthesis.speak` call and each change of the count on the page, both
on the browser's clock, so the 1 s bound is measured where the person is, not on the server."""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import pytest

# The app and page helpers of the main browser test; this module has its own camera and browser.
from test_browser import CHROMIUM, PAGE_TIMEOUT_MS, app, expect, open_page, playwright_api, require_tool, settle, shots  # noqa: F401

pytestmark = pytest.mark.browser

LEAD_IN_S = 4.0
SIZES = [(1920, 1080), (1400, 1000), (390, 844)]  # desktop, laptop, a phone held upright
# The spoken count must come within this of the count shown (the bound).
SPOKEN_WITHIN_S = 1.0

RECORDER = """
window.__coach = { spoken: [], counts: [], phases: [] };
if (window.speechSynthesis) {
  const speak = window.speechSynthesis.speak.bind(window.speechSynthesis);
  window.speechSynthesis.speak = (utterance) => {
    window.__coach.spoken.push({ text: utterance.text, t: Date.now() });
    speak(utterance);
  };
}
document.addEventListener("DOMContentLoaded", () => {
  let last = null, lastPhase = null;
  new MutationObserver(() => {
    const line = document.querySelector(".coach-phase");
    const phase = line ? line.textContent.trim() : null;
    if (phase !== null && phase !== lastPhase) {
      lastPhase = phase;
      window.__coach.phases.push({ text: phase, t: Date.now() });
    }
    const value = document.querySelector(".st-key-live-panel [data-testid=stMetricValue]");
    const text = value ? value.textContent.trim() : null;
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
    spoken, counts, phases = [], [], []
    for frame in page.frames:
        found = frame.evaluate("() => window.__coach || null")
        if found:
            spoken += found["spoken"]
            counts += found["counts"]
            phases += found["phases"]
    return {"spoken": sorted(spoken, key=lambda s: s["t"]), "counts": sorted(counts, key=lambda c: c["t"]),
            "phases": sorted(phases, key=lambda p: p["t"])}


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
    expect(card.locator("table")).to_contain_text("s down")
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
    # The first squat, done but waiting for the second to make a set, was said to be.
    waiting = [p["t"] for p in log["phases"] if "1 rep done: it counts when the next one comes" in p["text"]]
    assert waiting and waiting[0] < first_shown["1"], log["phases"]


def test_a_slow_camera_on_the_wrong_side_is_said_and_its_reps_flagged(playwright, app, clips_dir, tmp_path, shots):  # noqa: F811
    """Side-view squats, with Jumping jack picked, from a camera giving 8 fps: the page says that
    8 fps is too few for jumping jacks and how to fix it, tells the person to turn, and the reps
    the arm signal counts meanwhile are saved flagged (low_fps, wrong_view), as the card says."""
    clip, seconds = camera(clips_dir, tmp_path, "squat_side_3_8fps", fps=8)
    context = launch(playwright, clip, tmp_path / "profile", (1400, 1000))
    page = context.new_page()
    start(page, app, "Jumping jack")
    expect(page.get_by_text(re.compile(r"Analysing \d fps: jumping jack needs 15 fps"))).to_be_visible()
    expect(page.get_by_test_id("coach-cue")).to_contain_text("Turn so the camera sees you from the front or back")
    page.screenshot(path=shots / "live_slow_wrong_side.png")
    deadline = time.monotonic() + seconds * 4 + 60
    while stream_time(page) < seconds and time.monotonic() < deadline:
        page.wait_for_timeout(300)
    expect(page.get_by_text(re.compile(r"\d+ reps? flagged wrong_view"))).to_be_visible()
    page.get_by_role("button", name="End workout").click()
    card = page.locator(".st-key-live-summary")
    expect(card.locator("table")).to_contain_text(re.compile(r"Doubtful reps.*\d+ low_fps, \d+ wrong_view"))
    page.screenshot(path=shots / "live_slow_wrong_side_saved.png", full_page=True)
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
