"""*Inside the model* in a real browser, offline: the SolaraViz app and the notebook in JupyterLab.

Every request that leaves 127.0.0.1 is blocked and counted (none may be made). Screenshots of each
state go to ``out/screenshots/<test>/``, printed by the test.
"""

from __future__ import annotations

import re
import time

import pytest

from tests._inside_browser import (
    REPO,
    OfflinePage,
    chromium,
    jupyterlab,
    shots_folder,
    solara_app,
    static_files,
)

pytestmark = pytest.mark.browser
pytest.importorskip("solara", reason="the viz extra (solara) is not installed: make test installs it")


def _day(page: OfflinePage) -> int:
    found = re.search(r"Day (\d+) of (\d+)", page.page.inner_text("body"))
    return int(found.group(1)) if found else -1


def test_the_solara_app_renders_steps_plays_and_resets_offline(tmp_path) -> None:
    shots = shots_folder("solara_app")
    with solara_app(tmp_path, REPO / "cmsim" / "mesa" / "app.py") as url, chromium() as browser:
        p = OfflinePage(browser, shots)
        try:
            p.page.goto(url, timeout=120_000)
            p.wait_until("the day counter", lambda: _day(p) == 0, timeout=120)
            p.wait_until("three pictures", lambda: len(p.images("img")) >= 3, timeout=60)
            assert p.page.title() == "cmsim: inside the model"
            body = p.page.inner_text("body")
            for state in ("newcomer", "lurker", "active", "champion", "troll", "spammer", "lapsed", "gone"):
                assert state in body, state
            assert "Page 0" not in body and "PAGE 0" not in body
            p.shot("1_day0")
            before = p.images("img")

            p.page.get_by_role("button", name="Step").click()
            p.wait_until("day 1 after Step", lambda: _day(p) == 1)
            p.wait_until("pictures redrawn", lambda: p.images("img") != before)
            p.shot("2_day1")

            p.page.get_by_role("button", name="▶").click()
            p.wait_until("play runs days", lambda: _day(p) >= 4, timeout=90)
            p.page.get_by_role("button", name="❚❚").click()
            # a step already under way when the pause lands still finishes: wait for the counter
            # to settle, so that Reset is not overtaken by it (SolaraViz runs steps in a thread)
            settled = [-1]

            def _still() -> bool:
                now = _day(p)
                same = now == settled[0]
                settled[0] = now
                time.sleep(1.0)
                return same

            p.wait_until("the day counter settles after pause", _still, timeout=60)
            played = _day(p)
            p.shot("3_played")
            assert played >= 4

            p.page.get_by_role("button", name="Reset").click()
            p.wait_until("day 0 after Reset", lambda: _day(p) == 0)
            p.shot("4_reset")

            p.page.get_by_text("Seed", exact=False).first.scroll_into_view_if_needed()
            slider = p.page.locator(".v-slider").last  # the seed
            slider.click()
            p.page.keyboard.press("ArrowRight")
            p.wait_until("the reset notice", lambda: "Press Reset" in p.page.inner_text("body"))
            p.shot("5_changed_setting")
            p.page.get_by_role("button", name="Reset").click()
            p.wait_until("notice gone after Reset", lambda: "Press Reset" not in p.page.inner_text("body"))

            assert p.blocked == [], f"requests outside 127.0.0.1: {p.blocked[:5]}"
            assert p.missing == [], sorted(set(p.missing))
            assert not [e for e in p.errors if "is not defined" in e], p.errors
        finally:
            p.close()


def _widget_day(p: OfflinePage) -> int:
    box = p.page.locator(".cmsim-inside").first
    found = re.search(r"Day (\d+) of (\d+)", box.inner_text()) if box.count() else None
    return int(found.group(1)) if found else -1


def test_the_notebook_in_jupyterlab_steps_plays_and_resets_offline(tmp_path) -> None:
    shots = shots_folder("inside_notebook")
    notebook = REPO / "notebooks" / "06_inside_the_model.ipynb"
    with jupyterlab(tmp_path, notebook) as (base, token), chromium() as browser:
        p = OfflinePage(browser, shots)
        try:
            p.page.goto(f"{base}/lab/tree/{notebook.name}?reset&token={token}", timeout=120_000)
            p.page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
            p.page.get_by_role("menuitem", name="Run", exact=True).click()
            p.page.get_by_text("Run All Cells", exact=True).click()
            p.wait_until("the widget after Run All", lambda: _widget_day(p) == 15, timeout=240)
            p.wait_until(
                "the run finishes", lambda: "Python 3 (ipykernel) | Idle" in p.page.inner_text("body"), 240
            )
            text = p.page.inner_text("body")
            assert "Loading widget" not in text and "Error displaying widget" not in text
            box = p.page.locator(".cmsim-inside").first
            box.scroll_into_view_if_needed()
            picture = box.locator("img").first
            assert picture.evaluate("e => e.naturalWidth") > 600
            p.shot("1_after_run_all")
            before = picture.evaluate("e => e.src")

            box.get_by_role("button", name="Step a day").click()
            p.wait_until("day 16 after Step", lambda: _widget_day(p) == 16)
            p.wait_until("the picture redrawn", lambda: picture.evaluate("e => e.src") != before)
            assert "Day 16, member #" in box.inner_text()
            p.shot("2_stepped")

            box.locator(".widget-play button").first.click()  # play
            p.wait_until("play runs to the end", lambda: _widget_day(p) == 20, timeout=120)
            p.shot("3_played")

            box.locator("select").first.select_option("troll_raid")
            p.wait_until("the reset notice", lambda: "Press Reset" in box.inner_text())
            p.shot("4_changed_setting")
            box.get_by_role("button", name="Reset").click()
            p.wait_until("day 0 after Reset", lambda: _widget_day(p) == 0)
            assert "Press Reset" not in box.inner_text()
            p.shot("5_reset")

            assert p.blocked == [], f"requests outside 127.0.0.1: {p.blocked[:5]}"
        finally:
            p.close()


def test_a_saved_html_run_plays_offline(tmp_path) -> None:
    from cmsim.widgets import InsideTheModel

    shots = shots_folder("saved_run")
    site = tmp_path / "site"
    InsideTheModel("forum", "balanced", members=60, days=10, seed=2).save(site / "run.html", days=6, fps=10)
    with static_files(tmp_path, site) as url, chromium() as browser:
        p = OfflinePage(browser, shots)
        try:
            p.page.goto(f"{url}/run.html")
            img = p.page.locator("#f")
            p.wait_until("the first frame", lambda: img.evaluate("e => e.complete && e.naturalWidth") > 600)
            assert p.page.locator("#d").inner_text() == "day 0"
            assert "forum, balanced, 60 members, seed 2: days 0 to 6" in p.page.inner_text("h3")
            first = img.evaluate("e => e.src")
            p.shot("1_day0")
            day = p.page.locator("#d")
            button = p.page.locator("#p")
            button.click()  # play
            assert button.inner_text() == "Pause"
            p.wait_until("played to the last frame", lambda: day.inner_text() == "day 6")
            # The player stops on the frame that shows the last day, not one tick later: a slider
            # moved at once must not be played on (the CI race this test once lost).
            assert button.inner_text() == "Play"
            assert img.evaluate("e => e.src") != first
            p.shot("2_day6")
            p.page.locator("#s").fill("2")  # the slider
            p.wait_until("the slider shows day 2", lambda: day.inner_text() == "day 2")
            time.sleep(0.5)  # five frames at 10 a second
            assert day.inner_text() == "day 2"
            # Play on from day 2, then move the slider while it plays: the slider pauses it. One
            # script, so no frame can pass between the two.
            playing = p.page.evaluate(
                """() => { const b = document.getElementById("p"), s = document.getElementById("s");
                           b.click(); const label = b.textContent;
                           s.value = 1; s.dispatchEvent(new Event("input")); return label; }"""
            )
            assert playing == "Pause" and button.inner_text() == "Play"
            time.sleep(0.5)
            assert day.inner_text() == "day 1"
            button.click()
            p.wait_until("played to the last frame again", lambda: day.inner_text() == "day 6")
            # Play on the last frame starts again from day 0.
            assert (
                p.page.evaluate(
                    """() => { document.getElementById("p").click(); return document.getElementById("d").textContent; }"""
                )
                == "day 0"
            )
            p.wait_until("played to the last frame a third time", lambda: day.inner_text() == "day 6")
            assert p.blocked == [] and p.missing == [] and p.errors == []
        finally:
            p.close()
