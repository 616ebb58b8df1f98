"""A SolaraViz dashboard of the Mesa engine: the member network day by day, and a few plots.

Members are drawn on their contact network, coloured by what they are now (member, champion,
troll, spammer; lapsed members pale, members who left or were removed grey) and sized by their
activity. Beside it: daily active members and toxic posts, and the mean satisfaction.

Run it in a browser (needs the ``viz`` extra: ``pip install 'cmsim[viz]'``)::

    solara run cmsim/mesa/app.py

or show ``page`` as the last expression of a notebook cell. Keep communities small (the default
150 members): the network is laid out and drawn again at every step.
"""

from __future__ import annotations

from typing import Any

from mesa.visualization import SolaraViz, make_plot_component, make_space_component

from cmsim.mesa.agents import LAPSED, LEFT, REMOVED, Member
from cmsim.mesa.model import CommunityModel
from cmsim.scenario import list_scenarios
from cmsim.strategies import BUILTIN

__all__ = ["COLOURS", "member_portrayal", "model_params", "make_page", "page"]

#: Colour of a member by role, for members who are still here.
COLOURS: dict[str, str] = {
    "member": "tab:blue",
    "champion": "tab:green",
    "troll": "tab:red",
    "spammer": "tab:orange",
}
#: Colours of members who lapsed, left or were removed.
LAPSED_COLOUR, GONE_COLOUR = "lightsteelblue", "lightgrey"


def member_portrayal(agent: Any) -> dict[str, Any]:
    """How one member is drawn: colour by role and status, size by activity.

    Examples
    --------
    >>> model = CommunityModel("forum", members=50, days=7, seed=1)
    >>> member_portrayal(model.member_list[0])["color"] in (*COLOURS.values(), "lightsteelblue")
    True
    """
    if not isinstance(agent, Member):
        return {"color": "black", "size": 10}
    if agent.status in (LEFT, REMOVED):
        colour = GONE_COLOUR
    elif agent.status == LAPSED:
        colour = LAPSED_COLOUR
    else:
        colour = COLOURS.get(agent.role, "tab:blue")
    size = 10 + 8 * min(agent.activity, 5.0)
    return {"color": colour, "size": size}


def model_params() -> dict[str, Any]:
    """The controls of the dashboard: scenario, strategy, size, horizon and seed."""
    return {
        "scenario": {
            "type": "Select",
            "value": "forum",
            "values": list(list_scenarios()),
            "label": "Scenario",
        },
        "strategy": {"type": "Select", "value": "balanced", "values": list(BUILTIN), "label": "Strategy"},
        "members": {"type": "SliderInt", "value": 150, "min": 20, "max": 600, "step": 10, "label": "Members"},
        "days": {"type": "SliderInt", "value": 90, "min": 7, "max": 365, "step": 7, "label": "Days"},
        "seed": {"type": "SliderInt", "value": 1, "min": 0, "max": 99, "step": 1, "label": "Seed"},
    }


def make_page(model: CommunityModel | None = None) -> Any:
    """Build the SolaraViz page for ``model`` (default: a 150-member forum, seed 1)."""
    if model is None:
        model = CommunityModel("forum", "balanced", members=150, days=90, seed=1)
    components = [
        make_space_component(member_portrayal, backend="matplotlib"),
        make_plot_component(["dau", "toxic_posts"], backend="matplotlib"),
        make_plot_component(["mean_satisfaction"], backend="matplotlib"),
    ]
    return SolaraViz(
        model, components=components, model_params=model_params(), name="cmsim: a community, day by day"
    )


page = make_page()
