"""The SolaraViz dashboard of the Mesa engine builds and draws, headless (no browser needed)."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("solara", reason="the viz extra (solara) is not installed: make test installs it")

import ipywidgets as w  # noqa: E402
import solara  # noqa: E402
import solara.widgets  # noqa: E402

from cmsim.mesa import agents as A  # noqa: E402
from cmsim.mesa.app import COLOURS, GONE_COLOUR, LAPSED_COLOUR, make_page, member_portrayal  # noqa: E402
from cmsim.mesa.model import CommunityModel  # noqa: E402


def test_members_are_coloured_by_role_and_status_and_sized_by_activity() -> None:
    model = CommunityModel("forum", members=40, days=7, seed=2)
    m = model.member_list[0]
    m.status, m.role = A.ACTIVE, A.TROLL
    assert member_portrayal(m)["color"] == COLOURS["troll"] == "tab:red"
    m.role = A.CHAMPION
    assert member_portrayal(m)["color"] == COLOURS["champion"]
    m.status = A.LAPSED
    assert member_portrayal(m)["color"] == LAPSED_COLOUR
    m.status = A.REMOVED
    assert member_portrayal(m)["color"] == GONE_COLOUR
    quiet, busy = model.member_list[1], model.member_list[2]
    quiet.activity, busy.activity = 0.1, 3.0
    assert member_portrayal(busy)["size"] > member_portrayal(quiet)["size"]


def test_the_dashboard_renders_the_network_and_two_plots() -> None:
    model = CommunityModel("forum", members=60, days=14, seed=1)
    for _ in range(3):
        model.step()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # solara's hook-rules check warns about Mesa's own code
        box, rc = solara.render(make_page(model), handle_error=False)
    grid = rc.find(solara.widgets.GridLayout).widget
    assert len(grid.items) == 3  # network, activity plot, satisfaction plot
    images = rc.find(w.Image).widgets
    assert len(images) == 3
    assert all(img.value[:8] == b"\x89PNG\r\n\x1a\n" and len(img.value) > 2000 for img in images)
    rc.close()
