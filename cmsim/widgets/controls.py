"""The lab's controls: ipywidgets for the community, the strategies, the knobs and the timeline.

:class:`Controls` builds the widgets, reads them into a :class:`~cmsim.widgets.state.LabSpec`
(:meth:`Controls.spec`) and sets them from one (:meth:`Controls.apply`). It calls
``on_change()`` whenever a person changes something; while the lab sets many widgets at once
(a scenario change, a loaded state) the calls are held back and made once at the end.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from typing import Any

import ipywidgets as W

import cmsim
from cmsim.widgets.results import CHART_METRICS
from cmsim.widgets.state import INTERVENTION_KINDS, LabSpec

__all__ = ["Controls", "StrategyPanel", "KNOBS"]

#: The scenario knobs a manager asks about: key -> (label, slider max, step).
KNOBS: dict[str, tuple[str, float, float]] = {
    "manager.hours": ("manager hours a week", 80.0, 1.0),
    "manager.count": ("managers", 6, 1),
    "trolls.arrival_rate": ("troll pressure", 2.0, 0.05),
    "spam.arrival_rate": ("spam pressure", 2.0, 0.05),
    "members.question_share": ("question share", 1.0, 0.05),
}
CUSTOM = "custom hours"
_WIDE = W.Layout(width="auto")


def tooltip(key: str) -> str:
    """The meaning, unit and allowed range of a parameter, as ``cmsim params`` shows them."""
    p = cmsim.PARAMS[key]
    return f"{key}: {p.doc} (unit: {p.unit}; allowed: {p.allowed()}; default {p.default})"


class StrategyPanel:
    """One strategy: a name, a built-in strategy or custom hours per lever, and the budget check."""

    def __init__(self, name: str, strategy: Any, budget: float, on_change: Callable[[], None],
                 on_remove: Callable[[StrategyPanel], None]) -> None:  # fmt: skip
        self._on_change = on_change
        self.budget = budget
        self.function = strategy if callable(strategy) and not isinstance(strategy, (str, Mapping)) else None
        options = [*cmsim.STRATEGIES, CUSTOM] + ([f"Python: {name}"] if self.function else [])
        self.name = W.Text(value=name, description="name", layout=W.Layout(width="210px"))
        self.kind = W.Dropdown(options=options, description="strategy", layout=W.Layout(width="210px"))
        self.kind.add_class("cmsim-lab-strategy")
        self.sliders = {
            lever: W.FloatSlider(
                value=0.0,
                min=0.0,
                max=60.0,
                step=0.5,
                description=lever.replace("_", " "),
                continuous_update=False,
                style={"description_width": "80px"},
                layout=W.Layout(width="420px"),
            )  # fmt: skip
            for lever in cmsim.LEVERS
        }
        self.total = W.HTML()
        self.info = W.HTML(layout=W.Layout(width="210px"))
        self.remove = W.Button(description="remove", icon="trash", layout=W.Layout(width="90px"))
        self.remove.on_click(lambda _b: on_remove(self))
        self.hours_box = W.VBox([*self.sliders.values(), self.total])
        self.box = W.VBox([self.name, self.kind, self.info, self.hours_box, self.remove],
                          layout=W.Layout(border="1px solid #ccc", padding="4px", margin="2px"))  # fmt: skip
        self.set_budget(budget)
        self.set(name, strategy)
        self.kind.observe(self._kind_changed, "value")
        self.name.observe(lambda _c: self._on_change(), "value")
        for s in self.sliders.values():
            s.observe(self._hours_changed, "value")

    def set(self, name: str, strategy: Any) -> None:
        """Show ``strategy`` (a built-in name, a mapping of hours, or this panel's Python function)."""
        self.name.value = name
        if isinstance(strategy, Mapping):
            for lever, s in self.sliders.items():
                s.max = max(s.max, float(strategy.get(lever, 0.0)))
                s.value = float(strategy.get(lever, 0.0))
            self.kind.value = CUSTOM
        elif isinstance(strategy, str):
            self.kind.value = strategy
        else:
            self.kind.value = self.kind.options[-1]
        self._refresh()

    def value(self) -> Any:
        """The strategy as ``cmsim.compare`` takes it."""
        if self.kind.value == CUSTOM:
            return {lever: float(s.value) for lever, s in self.sliders.items()}
        if self.function is not None and self.kind.value == self.kind.options[-1]:
            return self.function
        return self.kind.value

    def set_budget(self, budget: float) -> None:
        """Show totals against ``budget``; each lever's slider reaches the budget (or its value)."""
        self.budget = float(budget)
        for s in self.sliders.values():
            s.max = max(1.0, self.budget, s.value)
        self._refresh()

    def _kind_changed(self, change: dict) -> None:
        with self._hold():
            if change["new"] == CUSTOM and all(s.value == 0 for s in self.sliders.values()):
                even = math.floor(self.budget / len(self.sliders) * 2) / 2  # an even split, within budget
                for s in self.sliders.values():
                    s.value = even
            if self.name.value in (*cmsim.STRATEGIES, CUSTOM):  # a name that said what it ran follows it
                self.name.value = (
                    change["new"] if change["new"] in (*cmsim.STRATEGIES, CUSTOM) else self.name.value
                )
        self._refresh()
        self._on_change()

    def _hours_changed(self, _change: dict) -> None:
        self._refresh()
        if self.kind.value == CUSTOM:
            self._on_change()

    @contextmanager
    def _hold(self):
        saved, self._on_change = self._on_change, lambda: None
        try:
            yield
        finally:
            self._on_change = saved

    def _refresh(self) -> None:
        custom = self.kind.value == CUSTOM
        self.hours_box.layout.display = None if custom else "none"
        self.box.layout.width = "444px" if custom else "222px"  # custom hours: a row of its own
        desc = cmsim.STRATEGIES.get(self.kind.value, "")
        if self.function is not None and not custom and self.kind.value not in cmsim.STRATEGIES:
            desc = "a Python function (cannot be saved to YAML)"
        style = "font-size:0.85em;line-height:1.3;color:#444"
        self.info.value = f"<div style='{style}'>{html.escape(desc)}</div>" if not custom else ""
        total = sum(s.value for s in self.sliders.values())
        if total > self.budget + 1e-9:
            self.total.value = (
                f"<b style='color:#D55E00'>&#9888; {total:g} h a week: {total - self.budget:g} h over "
                f"the {self.budget:g} h budget</b>"
            )
        else:
            self.total.value = f"{total:g} of {self.budget:g} h a week"


class Controls:
    """Every control of the lab, and the conversion to and from a :class:`LabSpec`."""

    def __init__(self, spec: LabSpec, on_change: Callable[[], None]) -> None:
        self._notify = on_change
        self._held = 0
        self._pending = False
        self._scenario_obj = spec.scenario if isinstance(spec.scenario, cmsim.Scenario) else None
        names = list(cmsim.list_scenarios())
        options = [(n, n) for n in names]
        if self._scenario_obj is not None:
            options.insert(0, (f"{self._scenario_obj.name} (given)", "__given__"))
        elif isinstance(spec.scenario, str) and spec.scenario not in names:
            options.insert(0, (str(spec.scenario), str(spec.scenario)))
        self.scenario = W.Dropdown(options=options, description="scenario", layout=W.Layout(width="230px"))
        self.scenario_file = W.Text(placeholder="or a scenario YAML file", continuous_update=False,
                                    layout=W.Layout(width="220px"))  # fmt: skip
        self.members = W.IntText(description="members", tooltip=tooltip("community.initial_members"),
                                 layout=W.Layout(width="180px"))  # fmt: skip
        self.days = W.IntText(
            description="days", tooltip=tooltip("community.days"), layout=W.Layout(width="180px")
        )
        self.seeds = W.IntSlider(min=2, max=50, description="seeds", continuous_update=False,
                                 layout=W.Layout(width="270px"),
                                 tooltip="histories per strategy (the same seeds for every strategy)")  # fmt: skip
        self.first_seed = W.IntText(description="first seed", layout=W.Layout(width="170px"))
        self.seed_list = W.HTML()
        self.knobs: dict[str, W.Widget] = {}  # sliders 440 px wide: the lab's left column
        for key, (label, top, step) in KNOBS.items():
            cls = W.IntSlider if cmsim.PARAMS[key].type == "int" else W.FloatSlider
            w = cls(min=0, max=top, step=step, description=label, tooltip=tooltip(key), continuous_update=False,
                    style={"description_width": "150px"}, layout=W.Layout(width="440px"))  # fmt: skip
            w.add_class("cmsim-lab-knob-" + key.replace(".", "-").replace("_", "-"))
            self.knobs[key] = w
        self.crisis = W.Checkbox(
            description="product crisis on day", indent=False, layout=W.Layout(width="190px")
        )
        self.crisis_day = W.BoundedIntText(value=45, min=0, max=3650, layout=W.Layout(width="80px"))
        self.shift = W.Checkbox(
            description="platform shift on day", indent=False, layout=W.Layout(width="190px")
        )
        self.shift_day = W.BoundedIntText(value=45, min=0, max=3650, layout=W.Layout(width="80px"))
        self.iv_kind = W.Dropdown(options=[(v, k) for k, v in INTERVENTION_KINDS.items()], description="add",
                                  layout=W.Layout(width="230px"))  # fmt: skip
        self.iv_day = W.BoundedIntText(
            value=30, min=0, max=3650, description="day", layout=W.Layout(width="150px")
        )
        self.iv_strategy = W.Dropdown(options=list(cmsim.STRATEGIES), description="switch to",
                                      layout=W.Layout(width="230px", display="none"))  # fmt: skip
        self.iv_add = W.Button(description="add to timeline", icon="plus")
        self.iv_list = W.VBox()
        self.interventions: list[dict[str, Any]] = []
        self.metrics = W.SelectMultiple(options=[(v.title, k) for k, v in CHART_METRICS.items()], rows=4,
                                        description="charts", layout=W.Layout(width="440px"))  # fmt: skip
        self.panels: list[StrategyPanel] = []
        self.panel_box = W.HBox(layout=W.Layout(flex_flow="row wrap"))
        self.add_strategy = W.Button(description="add a strategy", icon="plus")
        self.add_strategy.on_click(lambda _b: self._add_panel())
        self.iv_add.on_click(lambda _b: self._add_intervention())
        self.iv_kind.observe(self._iv_kind_changed, "value")
        self._held += 1  # the lab starts its first run itself
        self.apply(spec)
        self._held, self._pending = self._held - 1, False
        for w in (self.members, self.days, self.seeds, self.first_seed, self.crisis, self.crisis_day, self.shift,
                  self.shift_day, self.metrics, *self.knobs.values()):  # fmt: skip
            w.observe(lambda _c: self.changed(), "value")
        for w in (self.seeds, self.first_seed):
            w.observe(lambda _c: self._show_seeds(), "value")
        self.knobs["manager.hours"].observe(lambda _c: self._budget_changed(), "value")
        self.knobs["manager.count"].observe(lambda _c: self._budget_changed(), "value")
        self.scenario.observe(lambda _c: self._scenario_changed(), "value")
        self.scenario_file.observe(lambda _c: self._scenario_changed(), "value")

    # --- changes ------------------------------------------------------------------------------
    def changed(self) -> None:
        """Tell the lab (or, while held, remember to tell it once at the end)."""
        if self._held:
            self._pending = True
        else:
            self._notify()

    @contextmanager
    def hold(self):
        """Set many widgets and report the change once."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and self._pending:
                self._pending = False
                self._notify()

    def _budget(self) -> float:
        return float(self.knobs["manager.hours"].value) * float(self.knobs["manager.count"].value)

    def _budget_changed(self) -> None:
        for p in self.panels:
            p.set_budget(self._budget())

    def _show_seeds(self) -> None:
        s = self.seed_values()
        self.seed_list.value = (
            f"<small>seeds {s[0]} to {s[-1]}: <code>seeds=range({s[0]}, {s[-1] + 1})</code> "
            "recreates these histories</small>"
        )

    def seed_values(self) -> list[int]:
        first = max(0, int(self.first_seed.value))
        return list(range(first, first + int(self.seeds.value)))

    def base_scenario(self) -> Any:
        """The scenario the controls start from (before size, knobs and events)."""
        if self.scenario_file.value.strip():
            return self.scenario_file.value.strip()
        if self.scenario.value == "__given__":
            return self._scenario_obj
        return self.scenario.value

    def _scenario_changed(self) -> None:
        try:
            sc = cmsim.load_scenario(self.base_scenario())
        except cmsim.CmsimError:
            self.changed()  # the lab shows the one-line error
            return
        with self.hold():
            self._show_scenario(sc)
            self.changed()

    def _show_scenario(self, sc: Any) -> None:
        v = sc.values
        self.members.value = int(v["community.initial_members"])
        self.days.value = int(v["community.days"])
        for key, w in self.knobs.items():
            w.max = max(w.max, v[key])
            w.value = v[key]
        self._budget_changed()

    # --- strategies and interventions -----------------------------------------------------------
    def _add_panel(self, name: str | None = None, strategy: Any = "responsive") -> None:
        if len(self.panels) >= 4:
            return
        taken = {p.name.value for p in self.panels}
        if name is None:
            name = next(
                s for s in [*cmsim.STRATEGIES, *(f"strategy {i}" for i in range(9))] if s not in taken
            )
            strategy = name if name in cmsim.STRATEGIES else "balanced"
        panel = StrategyPanel(name, strategy, self._budget(), self.changed, self._remove_panel)
        self.panels.append(panel)
        self._show_panels()
        self.changed()

    def _remove_panel(self, panel: StrategyPanel) -> None:
        if len(self.panels) > 2:
            self.panels.remove(panel)
            self._show_panels()
            self.changed()

    def _show_panels(self) -> None:
        for p in self.panels:
            p.remove.disabled = len(self.panels) <= 2
        self.add_strategy.disabled = len(self.panels) >= 4
        self.panel_box.children = [p.box for p in self.panels]

    def _iv_kind_changed(self, change: dict) -> None:
        self.iv_strategy.layout.display = None if change["new"] == "switch_strategy" else "none"

    def _add_intervention(self) -> None:
        iv: dict[str, Any] = {"day": int(self.iv_day.value), "kind": self.iv_kind.value}
        if iv["kind"] == "switch_strategy":
            iv["strategy"] = self.iv_strategy.value
        self.interventions.append(iv)
        self._show_interventions()
        self.changed()

    def _show_interventions(self) -> None:
        rows = []
        for iv in sorted(self.interventions, key=lambda x: x["day"]):
            text = f"day {iv['day']}: {INTERVENTION_KINDS[iv['kind']]}"
            if iv.get("strategy") is not None:
                text += f" to {iv['strategy'] if isinstance(iv['strategy'], str) else 'custom hours'}"
            button = W.Button(description="remove", layout=W.Layout(width="80px"))
            button.on_click(lambda _b, item=iv: self._remove_intervention(item))
            rows.append(W.HBox([W.Label(text), button]))
        self.iv_list.children = rows or [W.HTML("<small>no interventions yet</small>")]

    def _remove_intervention(self, iv: dict[str, Any]) -> None:
        self.interventions = [x for x in self.interventions if x is not iv]
        self._show_interventions()
        self.changed()

    # --- spec -------------------------------------------------------------------------------------
    def spec(self) -> LabSpec:
        """What the controls say, as data."""
        scenario = self.base_scenario()
        base = None
        try:
            base = cmsim.load_scenario(scenario)
        except cmsim.CmsimError:
            pass
        overrides = {}
        for key, w in self.knobs.items():
            if base is None or w.value != base.values[key]:
                overrides[key] = w.value
        return LabSpec(
            scenario=scenario,
            members=int(self.members.value),
            days=int(self.days.value),
            seeds=self.seed_values(),
            strategies=self._strategies(),
            overrides=overrides,
            crisis_day=int(self.crisis_day.value) if self.crisis.value else None,
            platform_shift_day=int(self.shift_day.value) if self.shift.value else None,
            interventions=[dict(iv) for iv in self.interventions],
            metrics=list(self.metrics.value),
        )

    def _strategies(self) -> dict[str, Any]:
        """Name -> strategy of every panel; a repeated name gets a number, so no panel is lost."""
        out: dict[str, Any] = {}
        for p in self.panels:
            name, k = p.name.value.strip() or "strategy", 2
            while name in out:
                name, k = f"{p.name.value.strip() or 'strategy'} {k}", k + 1
            out[name] = p.value()
        return out

    def apply(self, spec: LabSpec) -> None:
        """Set every control from ``spec`` (one change reported at the end)."""
        with self.hold():
            if isinstance(spec.scenario, cmsim.Scenario):
                if self._scenario_obj is not spec.scenario:
                    self._scenario_obj = spec.scenario
                    opts = [o for o in self.scenario.options if o[1] != "__given__"]
                    self.scenario.options = [(f"{spec.scenario.name} (given)", "__given__"), *opts]
                self.scenario.value, self.scenario_file.value = "__given__", ""
            elif spec.scenario in dict(self.scenario.options).values():
                self.scenario.value, self.scenario_file.value = spec.scenario, ""
            else:
                self.scenario_file.value = str(spec.scenario)
            sc = cmsim.load_scenario(self.base_scenario())
            self._show_scenario(sc)
            for key, value in spec.overrides.items():
                if key in self.knobs:
                    self.knobs[key].max = max(self.knobs[key].max, value)
                    self.knobs[key].value = value
            if spec.members is not None:
                self.members.value = int(spec.members)
            if spec.days is not None:
                self.days.value = int(spec.days)
            seeds = list(spec.seeds)
            self.seeds.max = max(self.seeds.max, len(seeds))
            self.first_seed.value, self.seeds.value = int(seeds[0]), len(seeds)
            self._show_seeds()
            self.crisis.value = spec.crisis_day is not None
            self.crisis_day.value = int(spec.crisis_day if spec.crisis_day is not None else 45)
            self.shift.value = spec.platform_shift_day is not None
            self.shift_day.value = int(spec.platform_shift_day if spec.platform_shift_day is not None else 45)
            self.interventions = [dict(iv) for iv in spec.interventions]
            self._show_interventions()
            self.metrics.value = tuple(m for m in spec.metrics if m in CHART_METRICS)
            self.panels = [
                StrategyPanel(str(n), s, self._budget(), self.changed, self._remove_panel)
                for n, s in spec.strategies.items()
            ]
            self._show_panels()
            self.changed()

    # --- layout -------------------------------------------------------------------------------------
    def community_box(self) -> W.Widget:
        return W.VBox([
            W.HBox([self.scenario, self.scenario_file]),
            W.HBox([self.members, self.days]),
            W.HBox([self.seeds, self.first_seed]),
            self.seed_list,
        ])  # fmt: skip

    def strategies_box(self) -> W.Widget:
        return W.VBox([self.panel_box, self.add_strategy])

    def knobs_box(self) -> W.Widget:
        return W.VBox([
            *self.knobs.values(),
            W.HBox([self.crisis, self.crisis_day]),
            W.HBox([self.shift, self.shift_day]),
        ])  # fmt: skip

    def timeline_box(self) -> W.Widget:
        return W.VBox([W.HBox([self.iv_kind, self.iv_day, self.iv_strategy, self.iv_add]), self.iv_list])
