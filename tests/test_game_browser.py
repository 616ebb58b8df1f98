"""The manager game in a real browser: JupyterLab in Chromium, offline (every request that does not
go to 127.0.0.1 blocked). Renders the game, changes the hours with the keyboard as a person does,
plays a week and sees the dashboard change. Screenshots go to a folder the test prints."""

from __future__ import annotations

import time

import nbformat
import pytest

pytest.importorskip(
    "playwright", reason="the test extra (playwright) is not installed: make test installs it"
)

from _game_browser import CHROMIUM_ARGS, chromium, jupyterlab, offline  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

CELL = """from cmsim.widgets import ManagerGame
game = ManagerGame("forum", weeks=3, seed=1, members=300)
game"""


def _wait_for(predicate, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_game_renders_allocates_plays_a_week_and_the_dashboard_changes(tmp_path) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    print(f"\nscreenshots: {shots}")
    root = tmp_path / "notebooks"
    root.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(nb, root / "game.ipynb")
    blocked: list[str] = []
    with jupyterlab(root, tmp_path) as server, sync_playwright() as pw:
        url, token = server.split("|")
        browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        offline(page, blocked)
        try:
            page.goto(f"{url}/lab/tree/game.ipynb?reset&token={token}")
            expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=90_000)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_text("Run All Cells", exact=True).click()
            game = page.locator(".cmsim-manager-game")
            expect(game).to_be_visible(timeout=120_000)
            assert page.get_by_text("Error displaying widget").count() == 0
            assert page.get_by_text("Loading widget").count() == 0
            expect(game.locator(".widget-slider")).to_have_count(8)
            expect(game.get_by_text("Week 1 of 3")).to_be_visible()
            total = game.get_by_text("of 30 hours")
            expect(total).to_contain_text("Total 30 of 30 hours")
            before = game.locator(".cmsim-dashboard").inner_html()
            assert "No week played yet" in before
            page.screenshot(path=str(shots / "1_before.png"), full_page=True)

            # Take one hour from responding (6 -> 5), with the keyboard on the slider's handle.
            responding = game.locator(".widget-slider").nth(1)
            handle = responding.locator(".noUi-handle")
            handle.focus()
            for _ in range(10):  # 0.1 h a key press, each a trip to the kernel
                page.keyboard.press("ArrowLeft")
            expect(responding.locator(".widget-readout")).to_have_text("5.0", timeout=30_000)
            expect(total).to_contain_text("Total 29 of 30 hours (1 h unused)", timeout=30_000)
            page.screenshot(path=str(shots / "2_allocated.png"), full_page=True)

            chart_before = game.locator(".cmsim-chart").inner_html()
            assert chart_before.count("<circle") == 0
            game.get_by_role("button", name="Play week 1").click()
            expect(game.get_by_text("Week 2 of 3")).to_be_visible(timeout=60_000)
            expect(game.locator(".cmsim-dashboard")).to_contain_text("Toxic posts", timeout=30_000)
            _wait_for(
                lambda: game.locator(".cmsim-chart").inner_html().count("<circle") == 6, what="the chart"
            )
            after = game.locator(".cmsim-dashboard").inner_html()
            assert after != before and "No week played yet" not in after
            expect(game.get_by_role("button", name="Play week 2")).to_be_visible()
            page.screenshot(path=str(shots / "3_after_week_1.png"), full_page=True)
        finally:
            browser.close()
    print(f"requests blocked (outside 127.0.0.1): {len(blocked)}")
