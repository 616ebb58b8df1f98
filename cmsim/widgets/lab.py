"""StrategyLab: compare strategies by moving sliders, in a notebook or as a Voilà dashboard.

The lab puts :mod:`~cmsim.widgets.controls` on top of a :class:`~cmsim.widgets.runner.Runner`
(one worker thread of the kernel; the newest request wins) that computes with
:func:`~cmsim.widgets.results.compute`, and shows the result with
:mod:`~cmsim.widgets.chart` and :mod:`~cmsim.widgets.outputs`. Everything a person can do with
the controls can be done from Python too (:meth:`StrategyLab.set`, :meth:`StrategyLab.save`,
:meth:`StrategyLab.export`), which is how the tests drive it.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as W

import cmsim
from cmsim.errors import CmsimError
from cmsim.widgets import outputs
from cmsim.widgets.chart import Chart, network_png
from cmsim.widgets.controls import Controls
from cmsim.widgets.results import LabResult, compute
from cmsim.widgets.runner import Runner, TooSlow
from cmsim.widgets.state import LabSpec, load_spec, save_spec

__all__ = ["StrategyLab"]

_SPINNER = "<span style='color:#0072B2;font-weight:bold'>&#9203; running {what}&hellip;</span>"


def _one_line(exc: BaseException, max_seconds: float) -> str:
    if isinstance(exc, TooSlow):
        return (
            f"stopped after {max_seconds:g} s: this size takes too long for the lab; "
            "try fewer members, days or seeds (or cmsim.compare in a cell)"
        )
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, CmsimError):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class StrategyLab:
    """Compare two to four strategies on one community, updated as the controls move.

    Parameters
    ----------
    scenario : str or cmsim.Scenario, default "forum"
        A shipped scenario, a YAML path or a scenario built in Python.
    strategies : list of names or mapping, optional
        Name -> built-in name, ``{lever: hours a week}`` or a Python function (default
        ``balanced`` against ``community_builder``); the first is the baseline.
    seeds : int or list of int, default 10
        Histories per strategy (``n`` means seeds ``0..n-1``); every strategy runs the same seeds.
    members, days : int, optional
        Community size and horizon (default: the scenario's).
    metrics : list of str, optional
        Metrics drawn over time (see ``cmsim.widgets.results.CHART_METRICS``).
    debounce : float, default 0.15
        Seconds of quiet after a change before the lab runs.
    max_seconds : float, default 60
        A computation that runs longer stops with a plain message.

    Examples
    --------
    >>> from cmsim.widgets import StrategyLab
    >>> lab = StrategyLab("forum", seeds=4, members=300, days=60)  # doctest: +SKIP
    >>> lab  # in a notebook: the controls, the chart and the table  # doctest: +SKIP
    """

    def __init__(
        self,
        scenario: Any = "forum",
        strategies: Iterable[str] | Mapping[str, Any] | None = None,
        seeds: int | Iterable[int] = 10,
        members: int | None = None,
        days: int | None = None,
        *,
        metrics: Iterable[str] | None = None,
        debounce: float = 0.15,
        max_seconds: float = 60.0,
    ) -> None:
        spec = LabSpec(scenario=scenario, members=members, days=days)
        if strategies is not None:
            if isinstance(strategies, str):
                strategies = [s.strip() for s in strategies.split(",") if s.strip()]
            spec.strategies = (
                dict(strategies) if isinstance(strategies, Mapping) else {s: s for s in strategies}
            )
        if not 2 <= len(spec.strategies) <= 4:
            raise CmsimError(f"the lab compares two to four strategies; got {len(spec.strategies)}")
        if isinstance(seeds, int):
            if seeds < 1:
                raise CmsimError(f"the 'seeds' parameter must be a number >= 1 or a list; got {seeds!r}")
            spec.seeds = list(range(seeds))
        else:
            spec.seeds = [int(s) for s in seeds]
        if metrics is not None:
            spec.metrics = list(metrics)
        cmsim.load_scenario(scenario)  # a bad scenario is the caller's error, raised here
        self.result: LabResult | None = None
        self.message = ""
        self.busy = False
        self.chart = Chart()
        self._lock = threading.Lock()
        self._network_kind: tuple | None = None
        self._runner = Runner(self._compute, self._publish, self._fail, self._set_busy, debounce, max_seconds)
        self._build_outputs()
        self.controls = Controls(spec, self._changed)
        self.widget = self._layout()
        self._runner.submit(self.controls.spec(), debounce=0.0)

    # --- public API -----------------------------------------------------------------------------
    @property
    def comparison(self) -> Any:
        """The ``cmsim.Comparison`` on screen (None before the first result)."""
        return None if self.result is None else self.result.comparison

    def spec(self) -> LabSpec:
        """What the controls say now."""
        return self.controls.spec()

    def set(self, **changes: Any) -> None:
        """Change controls from Python, as a person would: ``lab.set(members=500, seeds=5)``.

        Keys: ``scenario``, ``members``, ``days``, ``seeds`` (a number or a list), ``strategies``,
        ``overrides`` (dotted keys), ``crisis_day``, ``platform_shift_day``, ``interventions``,
        ``metrics``. The lab then runs once (after the debounce delay).
        """
        spec = self.controls.spec()
        for key, value in changes.items():
            if key == "seeds" and isinstance(value, int):
                value = list(range(value))
            if key == "strategies" and not isinstance(value, Mapping):
                value = {s: s for s in value}
            if key == "overrides":
                value = {**spec.overrides, **value}
            if not hasattr(spec, key):
                raise CmsimError(f"unknown lab setting {key!r}; settings are {', '.join(vars(LabSpec()))}")
            setattr(spec, key, value)
        self.controls.apply(spec)

    def update(self) -> None:
        """Run now with the current controls (no debounce)."""
        self._runner.submit(self.controls.spec(), debounce=0.0)

    def wait(self, timeout: float | None = 120.0) -> bool:
        """Block until the newest change has been computed and shown; False on timeout."""
        return self._runner.wait(timeout)

    def save(self, path: str | Path) -> Path:
        """Write the lab's state (scenario, size, seeds, strategies, knobs, timeline, model version) to YAML."""
        return save_spec(self.controls.spec(), path)

    def load_state(self, path: str | Path) -> str:
        """Set the controls from a saved state; returns a note ('' or about a different model version)."""
        spec, note = load_spec(path)
        self.controls.apply(spec)
        self._note = note
        return note

    @classmethod
    def load(cls, path: str | Path, **kwargs: Any) -> StrategyLab:
        """A new lab set from a saved state (see :meth:`save`)."""
        spec, note = load_spec(path)
        lab = cls(
            spec.scenario,
            spec.strategies,
            spec.seeds,
            spec.members,
            spec.days,
            metrics=spec.metrics,
            **kwargs,
        )
        lab.controls.apply(spec)
        lab._note = note
        return lab

    def export(self, folder: str | Path) -> list[Path]:
        """Write the figures (PNG, SVG) and tables (CSV, Parquet) on screen, and the state, to ``folder``."""
        with self._lock:
            result = self.result
            if result is None:
                raise CmsimError("nothing to export yet: wait for the first result")
            folder = Path(folder)
            folder.mkdir(parents=True, exist_ok=True)
            written = []
            for fmt in ("png", "svg"):
                path = folder / f"chart.{fmt}"
                self.chart.save(path, fmt)
                written.append(path)
            png, svg = network_png(result.scenario)
            (folder / "network.png").write_bytes(png)
            (folder / "network.svg").write_text(svg, "utf-8")
            written += [folder / "network.png", folder / "network.svg"]
            written += outputs.export_tables(result, folder)
            try:
                written.append(save_spec(result.spec, folder / "lab_state.yaml"))
            except CmsimError:
                pass  # a Python-function strategy: the figures and tables are still written
        return written

    def close(self) -> None:
        """Stop the worker thread and close the widgets."""
        self._runner.close()
        self.widget.close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        s = self.controls.spec()
        return f"StrategyLab({s.scenario!r}, {list(s.strategies)}, seeds={len(s.seeds)})"

    # --- the worker's side ------------------------------------------------------------------------
    _note = ""

    def _changed(self) -> None:
        self._runner.submit(self.controls.spec())

    def _compute(self, spec: LabSpec, check: Any) -> tuple[LabResult, dict[str, Any]]:
        result = compute(spec, check)
        check()
        with self._lock:  # drawn here, on the worker, so the kernel stays free for the controls
            png = self.chart.update(result)
        return result, {
            "png": png,
            "answer": outputs.answer_html(result),
            "table": outputs.table_html(result),
        }

    def _publish(self, spec: LabSpec, out: tuple[LabResult, dict[str, Any]]) -> None:
        result, shown = out
        with self._lock:
            self.result = result
        self.chart_image.value = shown["png"]
        self.answer.value = shown["answer"]
        self.table.value = shown["table"]
        self.message = self._note
        self._note = ""
        self.message_box.value = self._message_html(self.message, error=False)
        n = len(result.comparison.seeds)
        self.status.value = (
            f"<small>{len(result.comparison.ensembles)} strategies &times; {n} seeds &times; "
            f"{result.scenario.values['community.initial_members']:,} members &times; {len(result.days)} days "
            f"in {result.seconds:.2f} s</small>"
        )
        key = (result.scenario.values["community.kind"], result.scenario.values["graph.mean_degree"])
        if key != self._network_kind:
            self.network.value = network_png(result.scenario)[0]
            self._network_kind = key

    def _fail(self, spec: LabSpec, exc: BaseException) -> None:
        self.message = _one_line(exc, self._runner.max_seconds)
        keep = " (the last good result stays on screen)" if self.result is not None else ""
        self.message_box.value = self._message_html(self.message + keep, error=True)

    def _set_busy(self, flag: bool) -> None:
        self.busy = flag
        if not hasattr(self, "widget"):
            return
        if flag:
            s = self.controls.spec()
            self.status.value = _SPINNER.format(
                what=f"{len(s.strategies)} strategies &times; {len(s.seeds)} seeds"
            )
            self.widget.add_class("cmsim-lab-busy")
        else:
            self.widget.remove_class("cmsim-lab-busy")
            if self.message and self.result is None:
                self.status.value = ""

    @staticmethod
    def _message_html(text: str, error: bool) -> str:
        if not text:
            return ""
        colour = "#D55E00" if error else "#555"
        mark = "&#9888; " if error else ""
        return f"<div class='cmsim-lab-message' style='color:{colour}'>{mark}{html.escape(text)}</div>"

    # --- layout -----------------------------------------------------------------------------------
    def _build_outputs(self) -> None:
        self.status = W.HTML()
        self.status.add_class("cmsim-lab-status")
        self.message_box = W.HTML()
        self.answer = W.HTML("<i>Computing the first comparison&hellip;</i>")
        self.chart_image = W.Image(
            format="png", layout=W.Layout(width="100%", max_width="800px", height="auto")
        )
        self.chart_image.add_class("cmsim-lab-chart")
        self.network = W.Image(format="png", layout=W.Layout(width="220px"))
        self.table = W.HTML()
        self.table.add_class("cmsim-lab-table-box")
        self.save_path = W.Text(
            value="lab_state.yaml", description="state file", layout=W.Layout(width="300px")
        )
        self.export_path = W.Text(value="lab_export", description="folder", layout=W.Layout(width="300px"))
        save, load, export = (W.Button(description=d, icon=i) for d, i in
                              (("save", "save"), ("load", "folder-open"), ("export", "download")))  # fmt: skip
        save.on_click(lambda _b: self._button(lambda: f"saved {self.save(self.save_path.value)}"))
        load.on_click(lambda _b: self._button(lambda: self.load_state(self.save_path.value) or "loaded"))
        export.on_click(
            lambda _b: self._button(
                lambda: f"wrote {len(self.export(self.export_path.value))} files to {self.export_path.value}"
            )
        )
        self.files_box = W.VBox([W.HBox([self.save_path, save, load]), W.HBox([self.export_path, export])])

    def _button(self, action: Any) -> None:
        try:
            text, error = str(action()), False
        except CmsimError as exc:
            text, error = _one_line(exc, self._runner.max_seconds), True
        self.message = text if error else self.message
        self.message_box.value = self._message_html(text, error)

    def _layout(self) -> W.Widget:
        c = self.controls
        more = W.Accordion(
            children=[c.knobs_box(), c.timeline_box(), W.VBox([c.metrics]), self.files_box],
            titles=(
                "Scenario knobs and events",
                "Interventions on the timeline",
                "Charts",
                "Save and export",
            ),
        )
        more.selected_index = 0
        left = W.VBox(
            [
                c.community_box(),
                W.HTML("<b>Strategies</b> (the first is the baseline)"),
                c.strategies_box(),
                more,
            ],
            layout=W.Layout(width="470px", min_width="470px"),
        )
        right = W.VBox(
            [self.status, self.message_box, self.answer, self.chart_image, self.table, self.network],
            layout=W.Layout(flex="1 1 600px", min_width="0", padding="0 0 0 12px"),
        )
        box = W.HBox([left, right], layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))
        box.add_class("cmsim-lab")
        return box
