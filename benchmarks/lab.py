"""The strategy lab's figures for ``benchmarks/run.py``: update latency in Python and in Chromium.

``lab_update``: the last control change to updated outputs (chart PNG, answer, table), in
Python, at the default size (2 strategies x 10 seeds x 2,000 members x 180 days), debounce
excluded. ``lab_browser``: a key press on the dashboard's troll-pressure slider to a changed
chart and table in Chromium (Voilà, as ``make dashboard`` serves it), debounce included; run
only when Chromium and Playwright are present, and not in ``--quick`` (it starts a server).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def lab_update(quick: bool, reps: int) -> tuple[float, list[float], str]:
    """Median seconds from a control change to the lab's new outputs (and the runs, and a note)."""
    from cmsim.widgets import StrategyLab

    size = dict(seeds=2, members=300, days=30) if quick else dict(seeds=10)
    lab = StrategyLab("forum", ["balanced", "community_builder"], debounce=0.0, **size)
    try:
        lab.wait(300)
        knob = lab.controls.knobs["trolls.arrival_rate"]
        values = (knob.value, round(knob.value + knob.step, 4))
        for i in range(2):  # warm: first draws, caches
            knob.value = values[(i + 1) % 2]
            lab.wait(300)
        runs = []
        for i in range(max(reps, 5 if not quick else 1)):
            done = lab._runner.published
            t = time.perf_counter()
            knob.value = values[(i + 1) % 2]
            lab.wait(300)
            runs.append(time.perf_counter() - t)
            if lab._runner.published != done + 1 or lab.message:
                raise RuntimeError(f"the lab did not update: {lab.message or 'no result'}")
        r = lab.result
        note = (
            f"forum, {len(r.comparison.ensembles)} x {len(r.comparison.seeds)} seeds x "
            f"{r.scenario.values['community.initial_members']} x {len(r.days)} days; compute "
            f"{r.seconds:.2f} s of it, then chart and table"
        )
        return statistics.median(runs), runs, note
    finally:
        lab.close()


def lab_browser(reps: int) -> tuple[float, list[float], str]:
    """Median seconds from an ArrowRight on the dashboard's slider to new chart and table in Chromium."""
    sys.path.insert(0, str(ROOT / "tests"))
    from browser_support import OfflinePage, chromium, chromium_path, voila  # noqa: PLC0415

    chromium_path()
    tmp = Path(tempfile.mkdtemp(prefix="cmsim-bench-lab-"))
    with voila(tmp, ROOT / "dashboard" / "strategy_lab.ipynb", quick=False) as base, chromium() as browser:
        p = OfflinePage(browser, tmp)
        try:
            p.page.goto(base + "/")
            p.page.locator(".cmsim-lab-table").wait_for(timeout=300_000)
            handle = p.page.locator(".cmsim-lab-knob-trolls-arrival-rate .noUi-handle").first
            runs: list[float] = []
            for i in range(max(reps, 5) + 1):
                p.page.wait_for_function(
                    "() => !document.querySelector('.cmsim-lab-status').textContent.includes('running')"
                )
                time.sleep(0.3)  # the page has settled
                before = p.signature()
                handle.focus()
                p.page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
                _, seconds = p.wait_for_change(before, timeout=120)
                if i:  # the first is a warm-up
                    runs.append(seconds)
            blocked = len(p.blocked)
        finally:
            p.close()
    return (
        statistics.median(runs),
        runs,
        f"Voilà dashboard, default size, debounce included; {blocked} requests blocked",
    )


def figures(cfg: Any, Row: Any) -> list[Any]:
    """The rows of both figures for ``benchmarks/run.py``."""
    rows = []
    try:
        v, runs, note = lab_update(cfg.quick, cfg.reps)
        rows.append(Row("lab_update", v, "s", "<= 0.3", v <= 0.3, note, runs))
    except Exception as exc:  # noqa: BLE001
        rows.append(
            Row("lab_update", None, "", "<= 0.3", None, f"unavailable ({type(exc).__name__}: {exc})"[:200])
        )
    if cfg.quick:
        rows.append(
            Row("lab_browser", None, "s", "<= 0.6", None, "skipped in --quick (starts Voilà and Chromium)")
        )
        return rows
    try:
        v, runs, note = lab_browser(cfg.reps)
        rows.append(Row("lab_browser", v, "s", "<= 0.6", v <= 0.6, note, runs))
    except BaseException as exc:  # noqa: BLE001 - pytest.fail (no Chromium) is a BaseException
        if isinstance(exc, KeyboardInterrupt):
            raise
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        rows.append(Row("lab_browser", None, "", "<= 0.6", None, f"unavailable ({msg})"[:200]))
    return rows
