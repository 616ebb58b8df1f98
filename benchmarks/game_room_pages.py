"""The room through ``make game``'s own server: N Chromium pages playing at once through Voilà.

Starts the server (``python -m cmsim.game.room`` on 127.0.0.1, the default game), opens N pages
(one browser context each: N trainees), types a name in each, then clicks "Play week k" in every
page at the same moment, ``--rounds`` times, and times each page from its click to its own
"Week k+1 of 12". Unlike ``game_room_load.py`` this includes the Voilà server relaying every
widget message and the browser drawing; the browser runs on the same machine here, which a room
(trainees on their own laptops) does not do, so the figures are pessimistic.

    python benchmarks/game_room_pages.py --pages 1 5 10
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/lib/chromium/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _round(pages, week: int) -> list[float]:
    """Click every page's play button at once; seconds from the clicks to each page's next week."""
    for p in pages:
        p.locator(".cmsim-manager-game").get_by_role("button", name=f"Play week {week}").click(
            no_wait_after=True
        )
    t0, took, waiting = time.perf_counter(), {}, set(range(len(pages)))
    while waiting:
        for i in list(waiting):
            if pages[i].get_by_text(f"Week {week + 1} of 12").count():
                took[i] = time.perf_counter() - t0
                waiting.discard(i)
        if time.perf_counter() - t0 > 300:
            raise TimeoutError(f"{len(waiting)} pages did not reach week {week + 1}")
        time.sleep(0.02)
    return list(took.values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, nargs="+", default=[1, 5, 10])
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="room_pages_"))
    port, token = _port(), secrets.token_hex(8)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["CMSIM_PRECOMPILE"] = "0"
    cmd = [sys.executable, "-m", "cmsim.game.room", "--host=127.0.0.1", f"--port={port}",
           f"--records={tmp / 'records'}", f"--token={token}"]  # fmt: skip
    log = (tmp / "voila.log").open("wb")
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/login", timeout=2)  # noqa: S310 - 127.0.0.1 only
                break
            except OSError:
                time.sleep(0.5)
        print(f"load average before: {os.getloadavg()}", flush=True)
        print("pages | open to game shown: median / slowest | click to next week: median / worst")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for n in args.pages:
                contexts = [browser.new_context(viewport={"width": 1300, "height": 1000}) for _ in range(n)]
                for c in contexts:  # offline: nothing outside 127.0.0.1
                    c.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                        ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")) else r.abort())  # fmt: skip
                pages = [c.new_page() for c in contexts]
                t0 = time.perf_counter()
                for p in pages:
                    p.goto(f"{base}/?token={token}", wait_until="commit")
                opened = []
                for i, p in enumerate(pages):
                    room = p.locator(".cmsim-game-room")
                    room.wait_for(timeout=600_000)
                    room.locator("input[type=text]").fill(f"trainee {n}-{i}")
                    room.get_by_role("button", name="Start my game").click()
                for p in pages:
                    p.get_by_text("Week 1 of 12").wait_for(timeout=600_000)
                    opened.append(time.perf_counter() - t0)
                took = [t for week in range(1, args.rounds + 1) for t in _round(pages, week)]
                print(f"{n:>5} | {statistics.median(opened):.1f} s / {max(opened):.1f} s | "
                      f"{statistics.median(took):.2f} s / {max(took):.2f} s", flush=True)  # fmt: skip
                for p in pages:  # as a trainee closing the tab: Voila shuts the kernel down
                    p.close(run_before_unload=True)
                time.sleep(2)
                for c in contexts:
                    c.close()
            browser.close()
        print(f"load average after: {os.getloadavg()}")
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if server.poll() is None:
                os.killpg(server.pid, sig)
                try:
                    server.wait(10)
                except subprocess.TimeoutExpired:
                    pass
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
