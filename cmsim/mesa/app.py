"""The SolaraViz app of the Mesa engine: *inside the model* in a browser tab, offline.

The same view as the ``06_inside_the_model`` notebook (:mod:`cmsim.mesa.view`): the member
network in a fixed layout, members coloured by state (newcomer, lurker, active, champion, troll,
spammer, lapsed, gone) with a legend and sized by activity, beside daily plots labelled in days
and in step with the day counter. Mesa's SolaraViz controls step, play and reset the model;
changed settings say they need a Reset. Each browser tab gets its own community.

Run it (needs the ``viz`` extra, which pins ``solara`` and ``solara-assets`` to the same version
so the page's scripts are served from the installed package and nothing is fetched from the
internet)::

    solara run cmsim/mesa/app.py      # http://localhost:8765

or, in a notebook, show ``make_page(model)`` for a model of your own.
"""

from __future__ import annotations

from typing import Any

import solara
import solara.server.settings
from mesa.visualization.solara_viz import ModelController, ModelCreator
from mesa.visualization.utils import update_counter

from cmsim.mesa.agents import Member
from cmsim.mesa.daylog import follow
from cmsim.mesa.model import CommunityModel
from cmsim.mesa.view import (
    STATE_COLOURS,
    STATE_HEX,
    STATE_MEANING,
    STATES,
    CommunityPicture,
    busiest_member,
    member_state,
)
from cmsim.scenario import list_scenarios
from cmsim.strategies import BUILTIN

__all__ = [
    "COLOURS",
    "TITLE",
    "member_portrayal",
    "model_params",
    "make_page",
    "page",
    "InsideApp",
    "settings_of",
]

solara.server.settings.telemetry.mixpanel_enable = False  # nothing leaves the machine

TITLE = "cmsim: inside the model"
#: Colour of a member still here by role (the states of :mod:`cmsim.mesa.view`).
COLOURS: dict[str, str] = {
    "member": STATE_COLOURS["active"],
    "champion": STATE_COLOURS["champion"],
    "troll": STATE_COLOURS["troll"],
    "spammer": STATE_COLOURS["spammer"],
}
#: Colours of members who lapsed, and of those who left or were removed.
LAPSED_COLOUR, GONE_COLOUR = STATE_COLOURS["lapsed"], STATE_COLOURS["gone"]
_SETTINGS = ("scenario", "strategy", "members", "days", "seed")
#: Where the three pictures sit on the page's grid (12 columns; rows of about 40 pixels).
GRID = [
    {"i": 0, "x": 0, "y": 0, "w": 7, "h": 13, "moved": False},
    {"i": 1, "x": 7, "y": 0, "w": 5, "h": 9, "moved": False},
    {"i": 2, "x": 7, "y": 9, "w": 5, "h": 5, "moved": False},
]


def member_portrayal(agent: Any) -> dict[str, Any]:
    """How one member is drawn by Mesa's own space components: colour by state, size by activity.

    Examples
    --------
    >>> model = CommunityModel("forum", members=50, days=7, seed=1)
    >>> member_portrayal(model.member_list[0])["color"] in STATE_COLOURS.values()
    True
    """
    if not isinstance(agent, Member):
        return {"color": "black", "size": 10}
    m = agent.model
    state = member_state(agent, max(m.day - 1, 0), m.p.dynamics.newcomer_days)
    return {"color": STATE_COLOURS[state], "size": 10 + 8 * min(agent.activity, 5.0)}


def model_params(start: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings of the app (scenario, strategy, size, horizon, seed), starting from ``start``
    (the settings of the first model shown; default a 300-member forum, 90 days, seed 1)."""
    s = {"scenario": "forum", "strategy": "balanced", "members": 300, "days": 90, "seed": 1, **(start or {})}
    scenarios, strategies = list(list_scenarios()), list(BUILTIN)
    return {
        "scenario": {"type": "Select", "value": s["scenario"], "label": "Scenario",
                     "values": scenarios if s["scenario"] in scenarios else [s["scenario"], *scenarios]},
        "strategy": {"type": "Select", "value": s["strategy"], "label": "Strategy",
                     "values": strategies if s["strategy"] in strategies else [s["strategy"], *strategies]},
        "members": {"type": "SliderInt", "value": s["members"], "min": 20, "max": max(600, s["members"]),
                    "step": 10, "label": "Members"},
        "days": {"type": "SliderInt", "value": s["days"], "min": 7, "max": max(365, s["days"]), "step": 1,
                 "label": "Days"},
        "seed": {"type": "SliderInt", "value": s["seed"], "min": 0, "max": max(99, s["seed"]), "step": 1,
                 "label": "Seed"},
    }  # fmt: skip


def settings_of(model: CommunityModel) -> dict[str, Any]:
    """The settings a model was made with, as the app's controls name them."""
    return {"scenario": model.scenario.name, "strategy": model.strategy_name,
            "members": int(model.p.community.initial_members), "days": model.days, "seed": model.seed}  # fmt: skip


def changed_settings(model: CommunityModel, chosen: dict[str, Any]) -> list[str]:
    """The settings chosen in the controls that differ from those of ``model``."""
    now = settings_of(model)
    return [k for k in _SETTINGS if k in chosen and chosen[k] != now[k]]


@solara.component
def Picture(
    model: CommunityModel, panels: tuple[str, ...], figsize: tuple[float, float], highlight: int | None = None
) -> None:
    """One picture of the model (network or plots), redrawn in place at every step."""
    update_counter.get()
    pic = solara.use_memo(lambda: CommunityPicture(model, panels=panels, figsize=figsize, dpi=80), [panels])
    pic.update(model, highlight=highlight)
    solara.Image(pic.png(), format="png")


@solara.component
def DayCounter(model: CommunityModel) -> None:
    """The day counter: days simulated and the horizon."""
    update_counter.get()
    end = " (the end)" if not model.running and model.day > 0 else ""
    # (HTML, not Markdown: solara's Markdown asks for KaTeX, which solara-assets does not ship)
    solara.HTML(tag="div", unsafe_innerHTML=f"Day {model.day} of {model.days}{end}",
                style="font-size:1.5em;margin:4px 0 10px 0")  # fmt: skip


@solara.component
def Legend() -> None:
    """What the colours mean."""
    rows = "".join(
        f"<div><span style='color:{STATE_HEX[s]};font-size:1.4em'>&#9679;</span> <b>{s}</b>: "
        f"{STATE_MEANING[s]}</div>"
        for s in STATES
    )
    solara.HTML(tag="div", unsafe_innerHTML=rows + "<div>Dot size: the member's activity.</div>")


def followed_member(model: CommunityModel, slot: int | None) -> int:
    """The member to follow: ``slot`` if it is one of the model's members, else the busiest one."""
    if slot is not None and 0 <= slot < len(model.member_list):
        return int(slot)
    busiest = busiest_member(model)
    return 0 if busiest is None else busiest


@solara.component
def MemberDay(model: CommunityModel, slot: int, on_slot: Any) -> None:
    """Follow one member (ringed on the network) and read its last day."""
    update_counter.get()
    watch = solara.use_memo(lambda: follow(model.member_list[slot]), [model, slot])
    solara.use_effect(lambda: watch.stop, [watch])  # (stops following when the member or model changes)
    m = model.member_list[slot]
    state = member_state(m, max(model.day - 1, 0), model.p.dynamics.newcomer_days)
    with solara.Row():
        solara.InputInt("Follow member #", value=slot, on_value=on_slot)
        for kind in ("newcomer", "troll", "lurker", "champion"):
            solara.Button(f"a {kind}", on_click=lambda k=kind: on_slot(busiest_member(model, k)), text=True)
    head = (f"<b>Member #{slot}: {state}</b> (ringed in black). Activity {m.activity:.2f}, temper "
            f"{m.temper:.2f}, {len(m.contacts)} contacts, satisfaction {m.satisfaction:.3f}, {m.posts} contributions.")  # fmt: skip
    log = watch.today
    body = (
        log.html()
        if log is not None and log.day == model.day - 1
        else "<p><i>Step: its day is told from the next day on.</i></p>"
    )
    solara.HTML(tag="div", unsafe_innerHTML=head + body)


@solara.component
def InsideApp(model: CommunityModel | None = None) -> None:
    """The page: controls, settings, legend and day counter beside the network and the plots."""
    first = solara.use_memo(
        lambda: (
            model if model is not None else CommunityModel("forum", "balanced", members=300, days=90, seed=1)
        ),
        [],
    )
    current: solara.Reactive[CommunityModel] = solara.use_reactive(first)
    chosen: solara.Reactive[dict[str, Any]] = solara.use_reactive({})
    play_interval = solara.use_reactive(250)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    chosen_slot: solara.Reactive[int | None] = solara.use_reactive(None)
    m = current.value
    slot = followed_member(m, chosen_slot.value)

    def on_slot(value: int | None) -> None:
        chosen_slot.set(value)

    solara.Title(TITLE)
    with solara.AppBar():
        solara.AppBarTitle(f"{TITLE}: a community, day by day")
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run"):
            DayCounter(m)
            ModelController(current, model_parameters=chosen, play_interval=play_interval,
                            render_interval=render_interval, use_threads=use_threads)  # fmt: skip
            solara.SliderInt("Pause between days (ms)", value=play_interval, min=50, max=1000, step=50)
        with solara.Card("Settings"):
            ModelCreator(current, model_params(settings_of(first)), model_parameters=chosen)
            c = {**settings_of(m), **chosen.value}
            solara.Text(f"Chosen: {c['members']} members, {c['days']} days, seed {c['seed']}.")
            changed = changed_settings(m, chosen.value)
            if changed:
                solara.Warning(
                    f"Changed: {', '.join(changed)}. Press Reset to start a new community with these "
                    "settings; the one shown keeps its own."
                )
        with solara.Card("Legend"):
            Legend()
    with solara.Column():
        solara.GridDraggable(
            items=[
                Picture(m, ("network",), (6.6, 6.4), highlight=slot),
                Picture(m, ("activity", "toxicity"), (5.4, 4.0)),
                Picture(m, ("satisfaction",), (5.4, 2.2)),
            ],
            grid_layout=GRID,
            resizable=True,
            draggable=True,
        )
        with solara.Card("A member's day"):
            MemberDay(m, slot, on_slot)


def make_page(model: CommunityModel | None = None) -> Any:
    """The app's page for ``model`` (default: a new 300-member forum, seed 1, for each visitor)."""
    return InsideApp(model)


page = make_page()
