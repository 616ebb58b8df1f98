"""The strategy lab as a person sees it: JupyterLab and the Voilà dashboard in Debian's Chromium.

Every request that leaves 127.0.0.1 is blocked and counted (a training room may have no
internet); a slider is moved with the keyboard and the chart and the table must change.
Screenshots of each state go to the folder the test prints (``out/screenshots`` by default,
``CMSIM_SCREENSHOTS`` to choose). ``make test`` installs Chromium (apt) and Playwright (pip).
"""

from __future__ import annotations

import pytest
from browser_support import REPO, OfflinePage, chromium, jupyterlab, screenshot_dir, voila

pytestmark = pytest.mark.browser

SLIDER = ".cmsim-lab-knob-trolls-arrival-rate"


def move_slider_and_check(p: OfflinePage, name: str) -> float:
    """Press ArrowRight on the troll-pressure slider; the chart and the table must change."""
    slider = p.page.locator(SLIDER).first
    slider.scroll_into_view_if_needed()
    readout = slider.locator(".widget-readout")
    value = (readout.text_content() or "").strip()
    p.page.wait_for_function(
        "() => !document.querySelector('.cmsim-lab-status').innerText.includes('running')"
    )
    before = p.signature()
    p.page.locator(".cmsim-lab").first.scroll_into_view_if_needed()
    p.shot(f"{name}-1-before")
    slider.locator(".noUi-handle").focus()
    p.page.keyboard.press("ArrowRight")
    after, seconds = p.wait_for_change(before)
    assert (readout.text_content() or "").strip() != value
    print(
        f"{name}: troll pressure {value} -> {(readout.text_content() or '').strip()}: chart and table changed in {seconds:.2f} s"
    )
    p.page.locator(".cmsim-lab-chart").first.scroll_into_view_if_needed()
    p.shot(f"{name}-2-after")
    p.assert_widgets_ok()
    assert after != before
    return seconds


def test_strategy_lab_notebook_in_jupyterlab(tmp_path):
    shots = screenshot_dir("jupyterlab")
    nb = REPO / "notebooks" / "02_strategy_lab.ipynb"
    with jupyterlab(tmp_path, nb) as (base, token), chromium() as browser:
        p = OfflinePage(browser, shots)
        page = p.page
        page.goto(f"{base}/lab/tree/{nb.name}?reset&token={token}")
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_text("Run All Cells", exact=True).click()
        page.locator(".widget-slider").first.wait_for(timeout=120_000)
        page.locator(".cmsim-lab-chart[src^='blob:'], .cmsim-lab-chart[src^='data:']").first.wait_for(
            timeout=180_000
        )
        # every cell has run: the last one lists the exported files
        page.get_by_text("chart.png").first.wait_for(timeout=180_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
        p.assert_widgets_ok()
        assert page.locator(".cmsim-lab-answer").first.text_content().count("histories") >= 1
        move_slider_and_check(p, "jupyterlab")
        print(f"jupyterlab: {len(p.blocked)} requests outside 127.0.0.1 blocked: {p.blocked[:5]}")
        assert p.blocked == [], f"the page asked the internet for {p.blocked}"
        p.close()


def test_strategy_lab_dashboard_in_voila(tmp_path):
    shots = screenshot_dir("voila")
    with voila(tmp_path, REPO / "dashboard" / "strategy_lab.ipynb") as base, chromium() as browser:
        p = OfflinePage(browser, shots)
        page = p.page
        page.goto(base + "/")
        page.locator(".cmsim-lab-chart[src^='blob:'], .cmsim-lab-chart[src^='data:']").first.wait_for(
            timeout=180_000
        )
        page.locator(".cmsim-lab-table").wait_for(timeout=60_000)
        p.assert_widgets_ok()
        assert "Traceback" not in page.inner_text("body")
        # the icons come from 127.0.0.1: Font Awesome is loaded though the CDN was never asked
        loaded = (
            "() => [...document.fonts].some(f => f.family.includes('Font Awesome') && f.status == 'loaded')"
        )
        assert page.evaluate(loaded), "the icon font did not load"
        move_slider_and_check(p, "voila")
        print(f"voila: {len(p.blocked)} requests outside 127.0.0.1 blocked: {p.blocked[:5]}")
        assert p.blocked == [], f"the dashboard asked the internet for {p.blocked}"
        errors = [e for e in p.errors if "favicon" not in e]
        assert not errors, errors
        p.close()
