""""Any exercise" on the Workout and Analyse pages (issue 28 item 4). With no exercise picked,
Chromium's fake camera plays squat_side_3 (3 squats); the Workout page says what it recognised
within the first reps ("Squats") and counts with the squat's definition from the start of the set,
so all three squats count and the workout is saved as squats. The Analyse page recognises the
same clip uploaded and counts it as squats."""

from __future__ import annotations

import re
import time

import pytest

from test_browser import PAGE_TIMEOUT_MS, app, choose, expect, metric, open_page, screenshot, settle, shots  # noqa: F401
from test_live_view import camera, launch, playwright, recorded, start, stream_time, wait_until  # noqa: F401

pytestmark = pytest.mark.browser


def test_any_exercise_says_what_it_recognised_and_counts_the_set_from_its_start(playwright, app, clips_dir,  # noqa: F811
                                                                                 tmp_path, shots):  # noqa: F811
    clip, seconds = camera(clips_dir, tmp_path, "squat_side_3")
    context = launch(playwright, clip, tmp_path / "profile", (1400, 900))
    page = context.new_page()
    start(page, app, "Any exercise")
    label = page.locator(".st-key-live-panel [data-testid=stMetricLabel]")
    expect(label).to_contain_text("recognising it from your first reps")
    # Recognised at the second squat of three (the clip's squats are 2 s apart): "Squats" then.
    expect(label).to_have_text("Squats", timeout=PAGE_TIMEOUT_MS)
    recognised_at = stream_time(page)
    page.screenshot(path=shots / "live_any_exercise_recognised.png")
    deadline = time.monotonic() + seconds * 4 + 60
    while stream_time(page) < seconds and time.monotonic() < deadline:
        page.wait_for_timeout(300)
    expect(page.locator(".st-key-live-panel [data-testid=stMetricValue]")).to_have_text("3")
    page.get_by_role("button", name="End workout").click()
    expect(page.get_by_text(re.compile(r"Workout saved: 3 squat reps"))).to_be_visible()
    wait_until(page, lambda: any(s["text"].startswith("Workout saved") for s in recorded(page)["spoken"]),
               "the end announced")
    counts = [c["text"] for c in recorded(page)["counts"]]
    context.close()
    print("recognised at stream", recognised_at, "s; counts shown:", counts)
    # Nothing counted before the choice, then the squats so far at once: never a count that
    # goes down, and the last is the clip's three.
    numbers = [int(c) for c in counts if c.isdigit()]
    assert numbers == sorted(numbers) and numbers[0] == 0 and numbers[-1] == 3, counts


def test_analyse_with_any_exercise_recognises_the_upload_and_counts_it(playwright, app, clips_dir, tmp_path,  # noqa: F811
                                                                        shots):  # noqa: F811
    clip, _ = camera(clips_dir, tmp_path, "squat_side_3")  # the browser needs a camera; this page uses none
    context = launch(playwright, clip, tmp_path / "profile", (1400, 900))
    page = context.new_page()
    open_page(page, app, "analyse")
    choose(page, "Exercise", "Any exercise")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(clips_dir / "squat_side_3.mp4"))
    expect(page.get_by_text("press Analyse to count the reps of the exercise it recognises")).to_be_visible()
    page.get_by_role("button", name="Analyse", exact=True).click()
    expect(page.get_by_text(re.compile(r"squat_side_3\.mp4: 3 squat reps in 1 set, [\d.]+ s "
                                       r"\(recognised as squat at [\d.]+ s\)"))).to_be_visible(timeout=180_000)
    assert metric(page, "Reps") == "3"
    settle(page)
    screenshot(page, shots, "analyse_any_exercise")
    context.close()
