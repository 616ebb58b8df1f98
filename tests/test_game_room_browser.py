"""``make game``'s server in a real browser: two trainees at once, their games apart.

The server is the one ``make game`` runs (``python -m cmsim.game.room``: Voilà on 127.0.0.1 with
a token, one kernel per tab). Two Chromium pages (separate browser contexts: two trainees) each
type a name and start; one plays a week, the other's week does not move; both records land in the
records folder with their own player. Every request outside 127.0.0.1 is blocked and counted;
screenshots go to a printed folder.
"""

from __future__ import annotations

import json
import secrets
import sys
import urllib.request

import pytest

from tests._inside_browser import REPO, OfflinePage, chromium, free_port, serve, server_env, shots_folder

pytestmark = pytest.mark.browser


def _start(p: OfflinePage, url: str, name: str):
    page = p.page
    page.goto(url)
    room = page.locator(".cmsim-game-room")
    room.wait_for(timeout=120_000)
    p.shot(f"0_{name}_asked_for_a_name")
    room.locator("input[type=text]").fill(name)
    room.get_by_role("button", name="Start my game").click()
    game = page.locator(".cmsim-manager-game")
    game.wait_for(timeout=120_000)
    page.get_by_text(f"Player: {name}").wait_for(timeout=30_000)
    game.get_by_text("Week 1 of 2").wait_for(timeout=30_000)
    assert page.get_by_text("Error displaying widget").count() == 0
    return game


def test_two_trainees_play_apart_on_the_served_game(tmp_path) -> None:
    from playwright.sync_api import expect

    shots = shots_folder("game_room")
    records = tmp_path / "records"
    port, token = free_port(), secrets.token_hex(8)
    cmd = [sys.executable, "-m", "cmsim.game.room", "--host=127.0.0.1", f"--port={port}", f"--records={records}",
           f"--token={token}", "--weeks=2", "--members=300", "--seed=3"]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with (
        serve(cmd, f"{base}/login", server_env(tmp_path), tmp_path / "voila.log", REPO),
        chromium() as browser,
    ):
        # without the token there is no game, only the login page
        with urllib.request.urlopen(f"{base}/") as r:  # noqa: S310 - 127.0.0.1 only
            assert "/login" in r.url and "cmsim-game-room" not in r.read().decode()
        ana, ben = OfflinePage(browser, shots), OfflinePage(browser, shots)
        try:
            game_a = _start(ana, f"{base}/?token={token}", "Ana")
            game_b = _start(ben, f"{base}/?token={token}", "Ben")
            ana.shot("1_ana_started")
            ben.shot("1_ben_started")
            assert ben.page.get_by_text("Player: Ana").count() == 0

            game_a.get_by_role("button", name="Play week 1").click()
            expect(game_a.get_by_text("Week 2 of 2")).to_be_visible(timeout=60_000)
            expect(game_a.locator(".cmsim-dashboard")).to_contain_text("Toxic posts", timeout=30_000)
            ana.shot("2_ana_played_week_1")
            ben.page.wait_for_timeout(1000)
            expect(game_b.get_by_text("Week 1 of 2")).to_be_visible()  # Ben's game did not move
            assert "No week played yet" in game_b.locator(".cmsim-dashboard").inner_html()
            ben.shot("2_ben_still_week_1")
            saved = {
                json.loads(f.read_text())["player"]: json.loads(f.read_text()) for f in records.glob("*.json")
            }
            assert set(saved) == {"Ana"} and len(saved["Ana"]["choices"]) == 1

            game_b.get_by_role("button", name="Play week 1").click()
            expect(game_b.get_by_text("Week 2 of 2")).to_be_visible(timeout=60_000)
            ben.shot("3_ben_played_week_1")
            saved = {
                json.loads(f.read_text())["player"]: json.loads(f.read_text()) for f in records.glob("*.json")
            }
            assert set(saved) == {"Ana", "Ben"}
            assert all(len(r["choices"]) == 1 and r["seed"] == 3 and r["weeks"] == 2 for r in saved.values())
            print(
                f"requests blocked (outside 127.0.0.1): Ana {len(ana.blocked)}, Ben {len(ben.blocked)}: "
                f"{sorted(set(ana.blocked + ben.blocked))}"
            )
            print(f"records: {sorted(f.name for f in records.glob('*.json'))}")
            errors = [e for e in ana.errors + ben.errors if "net::ERR_FAILED" not in e]
            print(f"console errors (besides blocked requests): {errors}")
        finally:
            ana.close()
            ben.close()
