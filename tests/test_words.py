"""How numbers are said on the pages, by the spoken coach and by the CLI."""

from coach.words import clock, plural, short_unit


def test_counts_times_and_units_read_as_people_say_them():
    assert [plural(n, "rep") for n in (0, 1, 2)] == ["0 reps", "1 rep", "2 reps"]
    assert [clock(s) for s in (0, 9.6, 59.9, 60, 125.2, 3600)] == ["0:00", "0:09", "0:59", "1:00", "2:05", "60:00"]
    assert [short_unit(u) for u in ("degrees", "torso lengths", "arm lengths")] == ["deg", "torso lengths", "arm lengths"]


def test_the_rep_table_speaks_a_users_words_with_the_exercises_own_phases():
    from coach.app.reps import headings
    from coach.exercise_library import Library

    library = Library()
    squat, curl = headings(library.get("squat")), headings(library.get("bicep_curl"))
    assert [squat[c] for c in ("time_down", "time_bottom", "time_up", "peak_speed", "rom")] == [
        "descending (s)", "pause at bottom (s)", "ascending (s)", "fastest (deg/s)", "range (deg)"]
    assert [curl[c] for c in ("time_down", "time_bottom", "time_up")] == ["curling (s)", "pause at top (s)", "lowering (s)"]
    # No analyst's words left: a turn, a bare per-second unit.
    assert not any("turn" in h or "(/s)" in h for h in [*squat.values(), *headings().values()])
