"""The SolaraViz app (``cmsim/mesa/app.py``) headless: step, reset, settings that need a reset."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("solara", reason="the viz extra (solara) is not installed: make test installs it")

import ipyvuetify as v  # noqa: E402
import ipywidgets as w  # noqa: E402
import solara  # noqa: E402

from cmsim.mesa.app import TITLE, changed_settings, make_page, settings_of  # noqa: E402
from cmsim.mesa.model import CommunityModel  # noqa: E402


def _counter(rc) -> str:
    texts = [h.widget.unsafe_innerHTML for h in rc.find(solara.widgets.HTML)]
    return [t for t in texts if t and t.startswith("Day ")][0]


def _member_day(rc) -> str:
    texts = [h.widget.unsafe_innerHTML for h in rc.find(solara.widgets.HTML)]
    return [t for t in texts if t and t.startswith("<b>Member #")][0]


def _button(rc, label: str):
    return rc.find(v.Btn, children=[label]).widget


def test_the_app_steps_resets_and_flags_changed_settings() -> None:
    model = CommunityModel("forum", "balanced", members=60, days=10, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # solara's hook-rules check warns about Mesa's own code
        box, rc = solara.render(solara.AppLayout(children=[make_page(model)]), handle_error=False)
    try:
        assert _counter(rc) == "Day 0 of 10"
        images = [i.value for i in rc.find(w.Image).widgets]
        assert len(images) == 3
        assert "its day is told from the next day on" in _member_day(rc)
        _button(rc, "Step").click()
        assert model.day == 1 and _counter(rc) == "Day 1 of 10"
        day = _member_day(rc)
        assert "Day 1, member #" in day and "chance" in day and "Evening" in day
        _button(rc, "a lurker").click()
        assert "lurker" in _member_day(rc)
        after = [i.value for i in rc.find(w.Image).widgets]
        assert all(a != b for a, b in zip(images, after, strict=True))  # network and both plots redrawn
        assert not rc.find(v.Alert)  # nothing changed: no notice
        rc.find(v.Select, label="Strategy").widget.v_model = "moderation_first"
        notice = rc.find(v.Alert).widget
        assert "Changed: strategy" in str(notice.children) and "Press Reset" in str(notice.children)
        _button(rc, "Reset").click()
        assert _counter(rc) == "Day 0 of 10"
        assert not rc.find(v.Alert)
    finally:
        rc.close()


def test_changed_settings_are_named() -> None:
    model = CommunityModel("forum", "balanced", members=40, days=7, seed=3)
    assert settings_of(model) == {
        "scenario": "forum",
        "strategy": "balanced",
        "members": 40,
        "days": 7,
        "seed": 3,
    }
    assert changed_settings(model, {"members": 40, "seed": 4, "days": 7}) == ["seed"]
    assert changed_settings(model, {}) == []
    assert TITLE == "cmsim: inside the model"
