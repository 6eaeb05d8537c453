"""A routine in a real browser: Chromium's fake camera plays jumping_jacks_11.mp4 (see
test_browser) through a two-block routine of the app's user folder, jumping jacks and then
'Repeated movement': the set counted towards its target, the rest counting down with what is
next, the next exercise starting itself, and the card against the plan at End workout."""

from __future__ import annotations

import re
import time

import pytest
from support import free_port, start_app, stop_app, wait_healthy
from test_browser import browser, camera_clip, choose, expect, page, screenshot, settle, shots  # noqa: F401

pytestmark = pytest.mark.browser

ROUTINE = """\
id: jacks_then_anything
name: Jacks then anything
blocks:
  - exercise: jumping_jack
    reps: 3
    rest_s: 3
  - exercise: auto
    reps: 3
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory, models_dir):
    """`coach app` with its own database, and the routine above in its user folder."""
    home = tmp_path_factory.mktemp("app")
    (home / "routines").mkdir()
    (home / "routines" / "jacks_then_anything.yaml").write_text(ROUTINE)
    port = free_port()
    server = start_app(home, port, COACH_MODEL_DIR=str(models_dir), COACH_ROUTINES_DIR=str(home / "routines"))
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, server, home / "app.log")
    yield {"url": url, "home": home}
    stop_app(server)
    print(f"\napp log: {home / 'app.log'}")


def count_place(page) -> tuple[str, str]:
    """The panel's count: (label, value), read in one go: two reads can straddle a redraw and pair
    the set's label with the rest's clock."""
    box = page.locator(".st-key-live-panel [data-testid=stMetric]").first
    label, value = box.evaluate("m => ['stMetricLabel', 'stMetricValue'].map("
                                "id => m.querySelector(`[data-testid=${id}]`).innerText)")
    return label, value


def test_a_two_block_routine_counts_rests_and_starts_the_next_exercise(page, app, shots):
    from coach.store import Store

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(app["url"])
    expect(page.get_by_role("combobox", name="Routine", exact=True)).to_be_visible(timeout=120_000)  # a first load
    settle(page)
    choose(page, "Routine", "Jacks then anything")
    expect(page.get_by_text("1 x 3 jumping jacks, 3 s rest; then 1 x 3 repeated movements", exact=True)).to_be_visible()
    exercise = page.get_by_role("combobox", name="Exercise", exact=True)
    expect(exercise).to_be_disabled()
    expect(exercise).to_have_value("Jumping jack then Repeated movement")
    screenshot(page, shots, "routine-picked")
    page.frame_locator("iframe[title*='webrtc']").get_by_role("button", name="START").click()
    expect(page.get_by_text(re.compile(r"^Stream [\d.]+ s"))).to_be_visible()
    seen: list[tuple[str, str]] = []
    taken = set()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        place = count_place(page)
        if not seen or seen[-1] != place:
            seen.append(place)
        if place[0] == "Rest" and "rest" not in taken:
            taken.add("rest")
            expect(page.get_by_test_id("coach-cue")).to_have_text("Next: repeated movement: set 1 of 1, 3 repeated movements")
            expect(page.locator(".st-key-live-panel [data-testid=stMetric]")).to_be_visible()  # a poll drawn whole
            screenshot(page, shots, "routine-rest", whole=False)
        if place[0].startswith("Set 1 of 1 - 3 repeated") and "phone" not in taken:
            taken.add("phone")
            page.set_viewport_size({"width": 390, "height": 844})
            expect(page.get_by_test_id("stSidebarContent")).not_to_be_in_viewport()  # folded away
            screenshot(page, shots, "routine-next-phone", whole=False)
            page.set_viewport_size({"width": 1400, "height": 900})
        if place[0].startswith("Routine done"):
            break
        page.wait_for_timeout(150)
    print("routine (label, value):", seen)
    labels = [label for label, _ in seen]
    assert labels[0] == "Set 1 of 1 - 3 jumping jacks" and seen[0][1] == "0 of 3", seen
    jacks = [value for label, value in seen if label == "Set 1 of 1 - 3 jumping jacks"]
    assert jacks[-1] in ("2 of 3", "3 of 3"), seen  # the set gate may count its first two reps at once
    rests = [value for label, value in seen if label == "Rest"]
    assert rests and rests[0] in ("0:03", "0:02"), seen  # the rest counts down from 3 s
    nxt = labels.index("Set 1 of 1 - 3 repeated movements")
    assert nxt > labels.index("Rest")
    assert seen[nxt][1] == "0 of 3", seen  # the next exercise counts from 0
    assert labels[-1] == "Routine done: Jacks then anything", seen
    page.get_by_role("button", name="End workout").click()
    expect(page.get_by_text(re.compile(r"^Workout saved: Jacks then anything: \d+ jumping jack reps, "
                                       r"\d+ repeated movement reps \(session \d+\)\.$"))).to_be_visible()
    card = page.locator(".st-key-live-routine-card")
    expect(card).to_contain_text("Jacks then anything: against the plan")
    expect(card).to_contain_text("1 x 3 jumping jacks")
    expect(card).to_contain_text("1 x 3 repeated movements")
    settle(page)
    screenshot(page, shots, "routine-card")
    page.set_viewport_size({"width": 390, "height": 844})
    settle(page)
    screenshot(page, shots, "routine-card-phone")
    with Store.open(app["home"] / "coach.db") as store:
        sessions = store.sessions().sort_values("id")
    assert list(sessions["exercise"]) == ["jumping_jack", "auto"]
    assert list(sessions["routine"]) == ["jacks_then_anything"] * 2
    assert sessions["reps"].iloc[0] >= 3 and sessions["reps"].iloc[1] >= 3
