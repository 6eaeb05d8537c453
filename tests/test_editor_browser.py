"""The Exercises editor as an author uses it (issue 13): the field reference beside the text, a
YAML slip worded plainly and marked at its line, scrolled into view, and "did you mean"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

# The app, browser and page fixtures and the helpers of the main browser test.
from test_browser import (app, browser, camera_clip, choose, editor_area, open_editor, page, screenshot,  # noqa: F401
                          settle, shots)

pytestmark = pytest.mark.browser


def test_the_editor_explains_fields_words_slips_plainly_and_scrolls_to_them(page, app, shots):
    open_editor(page, app)
    choose(page, "Start from", "a copy of Squat")
    page.get_by_role("button", name="Load into the editor").click()
    area = editor_area(page)
    expect(area).to_have_value(re.compile(r"^id: squat"))
    reference = page.locator(".st-key-field-reference")
    expect(reference).to_contain_text("return_fraction")
    expect(reference).to_contain_text("a tenth of min_range")
    lines = area.input_value().split("\n")
    # A missing colon near the end, out of view of the 460 px textarea.
    line = max(i for i, s in enumerate(lines) if s.strip() == "cooldown_s: 8")
    area.fill("\n".join([*lines[:line], lines[line].replace(":", ""), *lines[line + 1:]]))
    expect(page.get_by_test_id("stAlert").filter(has_text=f"editor:{line + 1}: no `:` after the field name")).to_be_visible()
    expect(page.locator(".gutter .bad")).to_have_text(str(line + 1))
    page.wait_for_function("area => area.scrollTop > 0", arg=area.element_handle())
    settle(page)
    screenshot(page, shots, "editor-slip-and-reference", whole=False)
    # A misspelt field: the closest field allowed there.
    area.fill("\n".join([*lines[:line], lines[line].replace("cooldown_s", "cooldwn_s"), *lines[line + 1:]]))
    expect(page.get_by_test_id("stAlert").filter(has_text="did you mean `cooldown_s`?")).to_be_visible()
    expect(page.locator(".gutter .bad")).to_have_text(str(line + 1))
