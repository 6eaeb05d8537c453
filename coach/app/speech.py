"""What the live page says out loud: the countdown before counting starts, each counted rep, each
cue once, a set done, a pause, the end.

`Announcer.update(step)` runs on the page's poll (every StepResult the page shows) and appends
numbered announcements; the `voice` component speaks each new one once with the browser's
speech synthesis (Web Speech API). It runs in the page itself, not beside the video, so it never
delays a frame. The browser remembers the last id it spoke for this workout (sessionStorage),
so a rerun that redraws the page repeats nothing; mute, volume and "numbers or a tone" are the
page's own controls, remembered in localStorage.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import streamlit as st

from coach.exercises import Exercise
from coach.progress import Progress
from coach.words import plural

# The newest announcements sent to the browser on each poll: more than one poll can bring.
SENT = 8
# The countdown in words, not digits: a spoken digit is a rep's count.
COUNTDOWN_WORDS = {3: "Three", 2: "Two", 1: "One"}


@dataclass(frozen=True, slots=True)
class Announcement:
    """One thing to say. kind: 'countdown', 'rep' (text is the count), 'cue', 'set', 'pause' or 'end'."""

    id: int
    kind: str
    text: str


class Announcer:
    """Announcements of one workout from its steps, in order; `update(step)` after each one.
    `sets`: say when a set starts and ends (not in a routine, whose guidance says it)."""

    def __init__(self, exercise: Exercise, token: str, sets: bool = True):
        self.exercise = exercise
        self.token = token
        self.sets_said = sets
        self.items: list[Announcement] = []
        self.reps = 0
        self.sets = 0
        self.set_start = 0  # the count when the current set began
        self.cue = None
        self.set_done = False
        self.reached = 0  # a hold exercise: the holds that reached their target
        self.countdown: int | None = None  # the last second of a countdown said, until "Go"
        self.paused = False

    def add(self, kind: str, text: str):
        self.items.append(Announcement(len(self.items) + 1, kind, text))

    def update(self, step):
        if self.paused_or_counting_down(step):
            return
        result = step.result
        if result.sets > self.sets and self.sets and self.sets_said:  # the rest is over: a new set began
            self.add("set", f"Set {result.sets}")
            self.set_start = self.reps
        self.sets = max(self.sets, result.sets)
        for n in range(self.reps + 1, result.reps + 1):  # a poll may bring more than one rep
            self.add("rep", str(n))
        if result.reps > self.reps:
            self.set_done = False
        self.reps = max(self.reps, result.reps)
        if step.cue is not None and step.cue != self.cue:  # the pipeline's cooldowns already apply
            self.add("cue", step.cue.text)
        self.cue = step.cue
        # A hold has no reps (nor a rest timer, which runs from the last rep): its target reached is said.
        if result.hold is not None and result.hold.reached and result.hold.index >= self.reached:
            self.reached = result.hold.index + 1
            self.add("set", f"{plural(round(result.hold.target_s), 'second')}: target reached.")
        if (self.sets_said and step.rest_s is not None and step.rest_s >= self.exercise.count.rest_s
                and not self.set_done and self.reps > self.set_start):
            done = self.reps - self.set_start
            self.add("set", f"Set {self.sets} done: {plural(done, 'rep')}. Rest.")
            self.set_done = True

    def paused_or_counting_down(self, step) -> bool:
        """Say a pause once, each second of a countdown ("Three", "Two", "One") and "Go" when
        counting starts; True while nothing is counted."""
        if step.paused:
            if not self.paused:
                self.add("pause", "Paused.")
            self.paused = True
            return True
        self.paused = False
        if step.countdown is not None:
            if step.countdown != self.countdown:
                self.add("countdown", COUNTDOWN_WORDS.get(step.countdown, str(step.countdown)))
            self.countdown = step.countdown
            return True
        if not step.result.visible:  # out of view: a countdown under way starts again
            return False
        if self.countdown is not None:
            self.add("countdown", "Go!")
            self.countdown = None
        return False

    def end(self, done: Progress):
        self.add("end", f"Workout saved: {done.spoken()}. Well done.")


VOICE_HTML = """<div class="coach-voice">
<label><input type="checkbox" class="mute"> Mute</label>
<label>Volume <input type="range" class="volume" min="0" max="1" step="0.1" aria-label="Voice volume"></label>
<label>Count with <select class="mode" aria-label="Count with"><option value="numbers">numbers</option>
<option value="tone">a tone</option></select></label>
<button type="button" class="full">Full screen</button></div>"""
VOICE_CSS = """
.coach-voice { display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem; align-items: center; font: 15px sans-serif; }
.coach-voice button { font: inherit; padding: 0.2rem 0.8rem; }
"""
CONTROLS_JS = """
export default function (component) {
  const box = component.parentElement.querySelector(".coach-voice");
  if (box.dataset.ready) return;  // once per mount: the controls read and write the remembered settings
  box.dataset.ready = "1";
  const mute = box.querySelector(".mute"), volume = box.querySelector(".volume"), mode = box.querySelector(".mode");
  mute.checked = localStorage.getItem("coach.voice.muted") === "1";
  volume.value = localStorage.getItem("coach.voice.volume") ?? "1";
  mode.value = localStorage.getItem("coach.voice.mode") ?? "numbers";
  mute.onchange = () => {
    localStorage.setItem("coach.voice.muted", mute.checked ? "1" : "0");
    if (mute.checked) speechSynthesis.cancel();
  };
  volume.oninput = () => localStorage.setItem("coach.voice.volume", volume.value);
  mode.onchange = () => localStorage.setItem("coach.voice.mode", mode.value);
  box.querySelector(".full").onclick = () => document.fullscreenElement
    ? document.exitFullscreen() : document.documentElement.requestFullscreen();
}
"""
# Mounted afresh on every poll (its data changes): speaks what this browser has not said yet.
SPEAKER_JS = """
export default function (component) {
  const { data } = component;
  const muted = localStorage.getItem("coach.voice.muted") === "1";
  const volume = Number(localStorage.getItem("coach.voice.volume") ?? "1");
  const tones = localStorage.getItem("coach.voice.mode") === "tone";
  const beep = () => {
    const audio = new AudioContext(), tone = audio.createOscillator(), gain = audio.createGain();
    gain.gain.value = 0.3 * volume;
    tone.frequency.value = 880;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.12);
  };
  let said = JSON.parse(sessionStorage.getItem("coach.voice.said") || "{}");
  if (said.token !== data.token) said = { token: data.token, id: 0 };
  for (const item of data.items) {
    if (item.id <= said.id) continue;
    said.id = item.id;
    if (muted) continue;
    if (item.kind === "rep" && tones) { beep(); continue; }
    const utterance = new SpeechSynthesisUtterance(item.text);
    utterance.volume = volume;
    utterance.rate = 1.1;
    speechSynthesis.speak(utterance);
  }
  sessionStorage.setItem("coach.voice.said", JSON.stringify(said));
}
"""


@st.cache_resource
def controls_component():
    return st.components.v2.component("coach.voice_controls", html=VOICE_HTML, css=VOICE_CSS, js=CONTROLS_JS)


@st.cache_resource
def speaker_component():
    return st.components.v2.component("coach.voice_speaker", html="<span></span>", js=SPEAKER_JS)


def controls():
    """Mute, volume, numbers or a tone, and full screen: once per page run."""
    controls_component()(key="live-voice-controls", data={}, height="content")


def speak(announcer: Announcer):
    """Say what `announcer` has that this browser has not said yet; call once per poll."""
    items = [{"id": a.id, "kind": a.kind, "text": a.text} for a in announcer.items[-SENT:]]
    # Unkeyed, so its identity is its data: the poll's time keeps two polls apart.
    speaker_component()(data={"token": announcer.token, "items": items, "poll": time.monotonic_ns()}, height="content")


def new_token() -> str:
    """A workout's name for the browser, which keeps its last spoken id per workout."""
    return uuid.uuid4().hex
