"""The manager game in a real browser: JupyterLab in Chromium, offline (every request that does not
go to 127.0.0.1 blocked). A person's play: the game renders, the hours change with the keyboard,
a week is played and the dashboard changes; hours over the budget turn the total red and stop
play; the last week brings the debrief. Screenshots go to a folder each test prints."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

pytest.importorskip(
    "playwright", reason="the test extra (playwright) is not installed: make test installs it"
)

from _game_browser import CHROMIUM_ARGS, chromium, jupyterlab, offline  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

CELL = """from cmsim.widgets import ManagerGame
game = ManagerGame("forum", weeks={weeks}, seed=1, members=300)
game"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[tuple[object, str, str, Path]]:
    """A JupyterLab server and a Chromium browser shared by the module's tests."""
    tmp = tmp_path_factory.mktemp("game_browser")
    root = tmp / "notebooks"
    root.mkdir()
    with jupyterlab(root, tmp) as server, sync_playwright() as pw:
        url, token = server.split("|")
        browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            yield browser, url, token, root
        finally:
            browser.close()


def _open_game(lab, name: str, weeks: int, shots: Path):
    """Write a one-cell notebook, open it offline, run all cells; returns (page, game, blocked)."""
    browser, url, token, root = lab
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL.format(weeks=weeks))])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(nb, root / f"{name}.ipynb")
    shots.mkdir()
    print(f"\nscreenshots: {shots}")
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    blocked: list[str] = []
    offline(page, blocked)
    page.goto(f"{url}/lab/tree/{name}.ipynb?reset&token={token}")
    expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=90_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_text("Run All Cells", exact=True).click()
    game = page.locator(".cmsim-manager-game")
    expect(game).to_be_visible(timeout=120_000)
    assert page.get_by_text("Error displaying widget").count() == 0
    assert page.get_by_text("Loading widget").count() == 0
    expect(game.locator(".widget-slider")).to_have_count(8)
    return page, game, blocked


def _wait_for(predicate, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def _press(page, slider, key: str, times: int) -> None:
    slider.locator(".noUi-handle").focus()
    for _ in range(times):  # 0.1 h a key press, each a trip to the kernel
        page.keyboard.press(key)


def test_game_renders_allocates_plays_a_week_and_the_dashboard_changes(lab, tmp_path) -> None:
    shots = tmp_path / "screenshots"
    page, game, blocked = _open_game(lab, "week", 3, shots)
    expect(game.get_by_text("Week 1 of 3")).to_be_visible()
    total = game.get_by_text("of 30 hours")
    expect(total).to_contain_text("Total 30 of 30 hours")
    before = game.locator(".cmsim-dashboard").inner_html()
    assert "No week played yet" in before
    page.screenshot(path=str(shots / "1_before.png"), full_page=True)

    responding = game.locator(".widget-slider").nth(1)  # one hour less on responding: 6 -> 5
    _press(page, responding, "ArrowLeft", 10)
    expect(responding.locator(".widget-readout")).to_have_text("5.0", timeout=30_000)
    expect(total).to_contain_text("Total 29 of 30 hours (1 h unused)", timeout=30_000)
    page.screenshot(path=str(shots / "2_allocated.png"), full_page=True)

    assert game.locator(".cmsim-chart").inner_html().count("<circle") == 0
    t0 = time.perf_counter()
    game.get_by_role("button", name="Play week 1").click()
    expect(game.get_by_text("Week 2 of 3")).to_be_visible(timeout=60_000)
    expect(game.locator(".cmsim-dashboard")).to_contain_text("Toxic posts", timeout=30_000)
    _wait_for(lambda: game.locator(".cmsim-chart").inner_html().count("<circle") == 6, what="the chart")
    print(
        f"click to the chart redrawn, in the browser: {time.perf_counter() - t0:.2f} s (reported, not a test)"
    )
    after = game.locator(".cmsim-dashboard").inner_html()
    assert after != before and "No week played yet" not in after
    expect(game.get_by_role("button", name="Play week 2")).to_be_visible()
    page.screenshot(path=str(shots / "3_after_week_1.png"), full_page=True)
    print(f"requests blocked (outside 127.0.0.1): {len(blocked)}")
    page.close()


def test_hours_over_the_budget_turn_the_total_red_and_stop_play(lab, tmp_path) -> None:
    shots = tmp_path / "screenshots"
    page, game, _ = _open_game(lab, "over", 3, shots)
    moderation = game.locator(".widget-slider").nth(0)
    _press(page, moderation, "ArrowRight", 5)  # 6 -> 6.5 h: 30.5 of 30
    total = game.get_by_text("of 30 hours")
    expect(total).to_contain_text("0.5 h over the budget", timeout=30_000)
    play = game.get_by_role("button", name="Play week 1")
    expect(play).to_be_disabled()
    page.screenshot(path=str(shots / "1_over_budget.png"), full_page=True)
    _press(page, moderation, "ArrowLeft", 5)
    expect(play).to_be_enabled(timeout=30_000)
    expect(total).not_to_contain_text("over the budget")
    page.close()


def test_the_last_week_brings_the_debrief(lab, tmp_path) -> None:
    shots = tmp_path / "screenshots"
    page, game, _ = _open_game(lab, "debrief", 2, shots)
    game.get_by_role("button", name="Play week 1").click()
    expect(game.get_by_text("Week 2 of 2")).to_be_visible(timeout=60_000)
    game.get_by_role("button", name="Play week 2").click()
    expect(game.get_by_text("Your score")).to_be_visible(timeout=120_000)
    expect(game.get_by_text("The week that mattered most")).to_be_visible()
    expect(game.locator("table.cmsim-debrief")).to_contain_text("data_driven")
    expect(game.get_by_role("button", name="Game over")).to_be_disabled()
    _wait_for(lambda: game.locator(".widget-image").count() >= 1, what="the debrief chart")
    page.screenshot(path=str(shots / "1_debrief.png"), full_page=True)
    page.close()
