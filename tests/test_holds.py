"""The hold timer (coach.holds) on synthetic series that justify its defaults, and the built-in
plank and wall sit on real clips."""

import numpy as np
import pytest
import yaml

from coach.analyze import analyze_poses
from coach.exercise_library import BUILTIN_DIR
from coach.exercises import DefinitionError, Exercise, load, parse
from coach.holds import Hold, HoldSample

PLANK = load(BUILTIN_DIR / "plank.yaml")
WALL_SIT = load(BUILTIN_DIR / "wall_sit.yaml")
FPS = 30


def with_hold(exercise: Exercise, **changes) -> Exercise:
    data = exercise.model_dump()
    data["hold"].update(changes)
    return Exercise.model_validate(data)


def holds_of(exercise: Exercise, line: np.ndarray, level: float = 80.0, visible=None, target_s=None):
    """The sets timed over a body-line series at FPS (the plank's other signal held level)."""
    hold = Hold(exercise, target_s)
    states = [hold.update(HoldSample(i / FPS, {"body_line": float(v), "body_level": level},
                                     True if visible is None else bool(visible[i])))
              for i, v in enumerate(line)]
    return states, [s.hold for s in states if s.hold is not None and s.hold.done]


def noisy_at_threshold(seconds: float, seed: int = 1) -> np.ndarray:
    """A plank held just over the straightness threshold (155 deg), with the wander of the
    smoothed MoveNet body line: 2.7 deg (sd) on pushup_side_30's plank (1-21 s), slow (a moving
    mean of 8 frames)."""
    rng = np.random.default_rng(seed)
    noise = np.convolve(rng.normal(0, 2.7, int(seconds * FPS) + 20), np.ones(8) / np.sqrt(8), "same")[10:-10]
    return 157.0 + noise


def test_flicker_at_the_threshold_does_not_stop_the_timer_with_the_default_hysteresis():
    line = np.concatenate([np.full(FPS, 120.0), noisy_at_threshold(40), np.full(3 * FPS, 120.0)])
    assert (line[FPS:-3 * FPS] < 155).mean() > 0.1  # the series does cross the threshold often
    states, _ = holds_of(with_hold(PLANK, hysteresis=0, grace_s=0), line)
    stops = sum(a.phase == "holding" and b.phase == "resting" for a, b in zip(states, states[1:]))
    assert stops > 10  # no hysteresis and no grace: the timer stops again and again
    _, default = holds_of(PLANK, line)
    assert len(default) == 1
    assert default[0].held_s == pytest.approx(40, abs=0.1)


def test_a_pose_lost_for_a_moment_is_bridged_by_the_grace_period_and_a_longer_loss_ends_the_hold():
    line = np.concatenate([np.full(FPS, 120.0), np.full(20 * FPS, 170.0), np.full(2 * FPS, 120.0)])
    visible = np.ones(len(line), bool)
    visible[5 * FPS:int(5.6 * FPS)] = False  # 0.6 s of missing pose: MoveNet loses the ankles
    _, bridged = holds_of(PLANK, line, visible=visible)
    assert [round(h.held_s, 1) for h in bridged] == [20.0]
    visible[10 * FPS:int(12.5 * FPS)] = False  # 2.5 s gone: that ends the hold
    _, split = holds_of(PLANK, line, visible=visible)
    assert [(round(h.start_t, 1), round(h.end_t, 1)) for h in split] == [(1.0, 10.0), (12.5, 21.0)]


def test_the_timer_runs_live_reaches_the_target_and_a_short_dip_into_position_is_not_a_set():
    line = np.concatenate([np.full(FPS, 120.0), np.full(2 * FPS, 170.0), np.full(2 * FPS, 120.0),
                           np.full(75 * FPS, 170.0), np.full(2 * FPS, 120.0)])
    states, sets = holds_of(PLANK, line, target_s=70)  # the page may set a target over 60 s
    assert states[2 * FPS].phase == "holding" and states[2 * FPS].hold is None  # timed, but 2 s is too short
    assert len(sets) == 1 and sets[0].index == 0 and sets[0].reached
    held = [s.held_s for s in states]
    assert held[FPS + 30] == pytest.approx(1.0) and held[5 * FPS + 60 * FPS] == pytest.approx(60.0)
    reached = [i for i, s in enumerate(states) if s.hold is not None and s.hold.reached]
    assert reached[0] == 5 * FPS + 70 * FPS
    assert states[-1].phase == "resting" and states[5 * FPS + 10].phase == "holding"


def test_a_definition_has_count_or_hold_and_hold_bands_name_signals():
    text = (BUILTIN_DIR / "plank.yaml").read_text()
    with pytest.raises(DefinitionError, match=r"plank.yaml:\d+ hold.position.hips: unknown signal 'hips'"):
        parse(text.replace("body_level: {above: 55}", "hips: {above: 55}"), "plank.yaml")
    with pytest.raises(DefinitionError, match="below: must be above `above`"):
        parse(text.replace("{above: 155}", "{above: 155, below: 100}"))
    plank = PLANK.model_dump(mode="json")
    with pytest.raises(DefinitionError, match="count: missing"):
        parse(yaml.safe_dump({k: v for k, v in plank.items() if k != "hold"}))
    squat = load(BUILTIN_DIR / "squat.yaml").model_dump(mode="json")
    with pytest.raises(DefinitionError, match=r"hold: a definition has a `count:` block \(reps\) or a `hold:` block"):
        parse(yaml.safe_dump({**squat, "hold": plank["hold"], "form": []}))
    assert PLANK.hold is not None and PLANK.drive_name == "body_line" and PLANK.rest_phase == "resting"


def sets_of(analysis):
    """The sets of an analysis: the last figures of each (the one going on at the end too)."""
    return list({r.hold.index: r.hold for r in analysis.results if r.hold is not None}.values())


def test_wall_sit_times_the_half_squat_hold_of_a_real_clip(clip_poses):
    # By eye (a contact sheet at 2 frames/s, ffmpeg): the third squat ends standing at 8.5 s, she
    # is down in the half squat at 9.0 s and holds it to the clip's end at 17.0 s: about 8 s.
    analysis = analyze_poses(WALL_SIT, clip_poses("squat_side_3_then_hold.mp4"))
    [hold] = sets_of(analysis)
    assert hold.start_t == pytest.approx(9.0, abs=0.6) and hold.end_t == pytest.approx(17.0, abs=0.3)
    assert hold.held_s == pytest.approx(8.0, abs=0.7)
    assert analysis.count == 0
    # Three squats pass through the position for under a second each: no hold.
    assert sets_of(analyze_poses(WALL_SIT, clip_poses("squat_side_3.mp4"))) == []


def test_plank_times_the_straight_body_of_a_real_push_up_clip_and_not_a_standing_person(clip_poses):
    # pushup_side_30: the body stays straight and level through the push-ups and breaks into a
    # pike between some of them. By eye (a contact sheet at 2 frames/s of 20-36 s): plank to
    # 21.5 s, pike 21.5-23.0 s, plank 23.0-29.8 s, pike 30.0-32.5 s, plank again from 32.5 s.
    sets = sets_of(analyze_poses(PLANK, clip_poses("pushup_side_30.mp4")))
    first, second = sets[:2]
    assert first.start_t == pytest.approx(0.0, abs=0.3) and first.end_t == pytest.approx(21.5, abs=0.6)
    assert second.start_t == pytest.approx(23.0, abs=0.8) and second.end_t == pytest.approx(29.8, abs=0.6)
    assert sets[2].start_t == pytest.approx(32.5, abs=0.8)
    assert sets_of(analyze_poses(PLANK, clip_poses("squat_side_3_then_hold.mp4"))) == []  # standing and squatting


def test_a_hold_charts_its_band_and_holds_draws_its_seconds_and_shows_the_live_figure():
    import numpy as np

    from coach.app.held import holds_line
    from coach.app.signal_chart import signal_chart
    from coach.progress import TimeHeld
    from coach.render import draw_hud
    from coach.types import FrameResult, HoldSet

    hold = HoldSet(0, 1.0, 13.3, 12.3, 30.0)
    results = [FrameResult(t / FPS, None, {"body_line": 170.0, "body_level": 80.0}, "holding", 0, 1, True,
                           held_s=max(0.0, t / FPS - 1), hold=hold if t >= 4 * FPS else None,
                           progress=TimeHeld(max(0.0, t / FPS - 1), 0.0, 30.0, 1)) for t in range(14 * FPS)]
    chart = signal_chart(results, PLANK)
    holds, signal, bounds = chart.layer[0].data, chart.layer[1].data, chart.layer[2].data
    assert holds[["set", "start_t", "held_s"]].values.tolist() == [[1, 1.0, 12.3]] and len(signal) == len(results)
    assert bounds["level"].tolist() == [155]
    assert (results[-1].progress.label, results[-1].progress.figure) == ("Seconds held (target 30 s)", 12)
    assert holds_line([hold]) == "held 12.3 s (target 30 s)"
    image = np.zeros((360, 640, 3), np.uint8)
    assert draw_hud(image, results[-1], PLANK).any()  # the panel is drawn (seconds, "s held")
