"""*Inside the model*: a small community on the Mesa engine, day by day, in a notebook.

:class:`InsideTheModel` is an ipywidgets box: play, step, reset and a speed control; the member
network in a fixed layout, members coloured by state (:mod:`cmsim.mesa.view`) with a legend and
sized by activity; plots in days, in step with the day counter; settings that say they need a
reset; a member to follow, whose day is told (:mod:`cmsim.mesa.daylog`); and a run saved as an
animated GIF or an HTML page. Everything it shows is also reachable from Python, so a trainer
can prepare a session, and tests can drive it::

    from cmsim.widgets import InsideTheModel

    inside = InsideTheModel("forum", "balanced", members=300, days=90, seed=1)
    inside  # (the last expression of a cell shows it)
    inside.step(7)
    inside.follow_state("troll")
    print(inside.day_log().text())
    inside.save("out/forum.gif", days=60)
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import ipywidgets as W
from PIL import Image

import cmsim
from cmsim.errors import CmsimError
from cmsim.mesa import CommunityModel
from cmsim.mesa.daylog import DayLog, MemberWatch, follow
from cmsim.mesa.view import STATE_HEX, STATE_MEANING, STATES, CommunityPicture, busiest_member, member_states

__all__ = ["InsideTheModel"]

_SETTINGS = ("scenario", "strategy", "members", "days", "seed")


class InsideTheModel(W.VBox):
    """A community on the Mesa engine, stepped and watched member by member.

    Parameters
    ----------
    scenario : str, default "forum"
        A shipped scenario (``cmsim.list_scenarios()``).
    strategy : str, default "balanced"
        A built-in strategy (``cmsim.STRATEGIES``).
    members : int, default 300
        Members at the start (20 to 1,000: the picture is for small communities).
    days : int, default 90
        The horizon.
    seed : int, default 1

    Attributes
    ----------
    model : cmsim.mesa.CommunityModel
        The community shown (a new one after each :meth:`reset`).
    picture : cmsim.mesa.view.CommunityPicture
    watch : cmsim.mesa.daylog.MemberWatch or None
        The member followed.
    """

    def __init__(
        self,
        scenario: str = "forum",
        strategy: str = "balanced",
        members: int = 300,
        days: int = 90,
        seed: int = 1,
    ) -> None:
        scenarios = list(cmsim.list_scenarios())
        strategies = list(cmsim.STRATEGIES)
        _check("scenario", scenario, scenarios)
        _check("strategy", strategy, strategies)
        style = {"description_width": "70px"}
        self.w_scenario = W.Dropdown(options=scenarios, value=scenario, description="Scenario", style=style)
        self.w_strategy = W.Dropdown(options=strategies, value=strategy, description="Strategy", style=style)
        self.w_members = W.IntSlider(
            value=members, min=20, max=1000, step=10, description="Members", style=style
        )
        self.w_days = W.IntSlider(value=days, min=7, max=365, step=1, description="Days", style=style)
        self.w_seed = W.BoundedIntText(value=seed, min=0, max=10**6, description="Seed", style=style)
        self.w_notice = W.HTML()
        self.w_play = W.Play(
            value=0, min=0, max=days, step=1, interval=250, description="Play", show_repeat=False
        )
        self.w_speed = W.IntSlider(value=4, min=1, max=20, description="Days/s", style=style)
        self.w_step = W.Button(description="Step a day", icon="step-forward", layout=W.Layout(width="115px"))
        self.w_reset = W.Button(description="Reset", icon="undo", layout=W.Layout(width="90px"))
        self.w_counter = W.HTML()
        self.w_image = W.Image(format="png")
        self.w_follow_slot = W.BoundedIntText(
            value=0, min=0, max=10**7, description="Member #", style=style, layout=W.Layout(width="190px")
        )
        self.w_follow = W.Button(description="Follow", layout=W.Layout(width="80px"))
        self.w_follow_kind = W.Dropdown(
            options=["pick one..."] + [s for s in STATES if s != "gone"], description="Follow a", style=style
        )
        self.w_log = W.HTML()
        self.w_save_path = W.Text(
            value="out/inside_the_model.gif",
            description="Save as",
            style=style,
            layout=W.Layout(width="245px"),
        )
        self.w_save = W.Button(description="Save", icon="save", layout=W.Layout(width="80px"))
        self.w_saved = W.HTML()
        self.w_legend = W.HTML(_legend_html())

        self.model: CommunityModel = None  # type: ignore[assignment]
        self.picture: CommunityPicture | None = None
        self.watch: MemberWatch | None = None
        self.followed: int | None = None
        self._syncing = False
        self.reset()

        for w in (self.w_scenario, self.w_strategy, self.w_members, self.w_days, self.w_seed):
            w.observe(self._on_setting, names="value")
        self.w_play.observe(self._on_play, names="value")
        self.w_speed.observe(self._on_speed, names="value")
        self._on_speed()
        self.w_step.on_click(lambda _b: self.step())
        self.w_reset.on_click(lambda _b: self.reset())
        self.w_follow.on_click(lambda _b: self.follow(self.w_follow_slot.value))
        self.w_follow_kind.observe(self._on_follow_kind, names="value")
        self.w_save.on_click(lambda _b: self._on_save())

        settings = W.VBox([self.w_scenario, self.w_strategy, self.w_members, self.w_days, self.w_seed,
                           self.w_notice])  # fmt: skip
        controls = W.VBox([W.HBox([self.w_play, self.w_step, self.w_reset]), self.w_speed, self.w_counter])
        follow_box = W.VBox([W.HBox([self.w_follow_slot, self.w_follow]), self.w_follow_kind])
        save_box = W.VBox([W.HBox([self.w_save_path, self.w_save]), self.w_saved])
        side = W.VBox(
            [controls, settings, follow_box, save_box], layout=W.Layout(width="360px", min_width="360px")
        )
        main = W.VBox([self.w_image, self.w_legend])
        super().__init__([W.HBox([side, main]), self.w_log])
        self.add_class("cmsim-inside")

    # --- the settings ----------------------------------------------------------------------------
    @property
    def settings(self) -> dict[str, Any]:
        """The settings as the controls show them (applied by the next :meth:`reset`)."""
        return {k: getattr(self, f"w_{k}").value for k in _SETTINGS}

    @property
    def running_settings(self) -> dict[str, Any]:
        """The settings of the community shown."""
        m = self.model
        return {"scenario": m.scenario.name, "strategy": m.strategy_name,
                "members": int(m.p.community.initial_members), "days": m.days, "seed": m.seed}  # fmt: skip

    @property
    def needs_reset(self) -> bool:
        """True when a setting was changed since the community shown was made."""
        return self.settings != self.running_settings

    def _on_setting(self, _change: Any = None) -> None:
        if self.needs_reset:
            changed = [k for k in _SETTINGS if self.settings[k] != self.running_settings[k]]
            self.w_notice.value = (
                "<div style='background:#fff3cd;border:1px solid #e0b400;padding:4px 6px;border-radius:4px'>"
                f"Changed: {', '.join(changed)}. <b>Press Reset</b> to start a new community with these "
                "settings; the one shown keeps its own.</div>"
            )
            self.w_reset.button_style = "warning"
        else:
            self.w_notice.value = ""
            self.w_reset.button_style = ""

    # --- running ----------------------------------------------------------------------------------
    @property
    def day(self) -> int:
        """Days simulated so far (the counter)."""
        return self.model.day

    def reset(self) -> None:
        """Start a new community from the settings shown, at day 0."""
        s = self.settings
        if self.watch is not None:
            self.watch.stop()
        self.model = CommunityModel(s["scenario"], s["strategy"], members=s["members"], days=s["days"],
                                    seed=s["seed"])  # fmt: skip
        self.watch, self.followed = None, None
        if self.picture is None:
            self.picture = CommunityPicture(self.model)
        self._sync_play()
        self.w_play.max = self.model.days
        busiest = busiest_member(self.model)
        if busiest is not None:
            self.follow(busiest)
        self._on_setting()
        self._show()

    def step(self, days: int = 1) -> None:
        """Simulate ``days`` more days (stops at the horizon) and redraw."""
        for _ in range(days):
            if not self.model.running:
                break
            self.model.step()
        self._sync_play()
        self._show()

    def _sync_play(self) -> None:
        self._syncing = True
        try:
            self.w_play.value = self.model.day
        finally:
            self._syncing = False

    def _on_play(self, change: Any) -> None:
        if self._syncing:
            return
        target = int(change["new"])
        if target < self.model.day:  # the Play widget's stop button rewinds: a reset
            self.w_play.playing = False
            self.reset()
        elif target > self.model.day:
            self.step(target - self.model.day)

    def _on_speed(self, _change: Any = None) -> None:
        self.w_play.interval = int(1000 / self.w_speed.value)

    # --- following a member -------------------------------------------------------------------------
    def follow(self, slot: int) -> None:
        """Follow member ``slot``: from the next step on, its day is told (:meth:`day_log`)."""
        n = len(self.model.member_list)
        if not 0 <= int(slot) < n:
            raise CmsimError(f"member: slot must be in [0, {n - 1}], got {slot}")
        if self.watch is not None:
            self.watch.stop()
        self.followed = int(slot)
        self.watch = follow(self.model.member_list[self.followed])
        self.w_follow_slot.value = self.followed
        self._show()

    def follow_state(self, state: str) -> int | None:
        """Follow a member now in ``state`` (one of ``STATES``): the busiest one. Returns its slot."""
        _check("state", state, list(STATES))
        slot = busiest_member(self.model, state)
        if slot is None:
            self.w_saved.value = f"No {html.escape(state)} today."
            return None
        self.follow(slot)
        return slot

    def _on_follow_kind(self, change: Any) -> None:
        if change["new"] in STATES:
            self.follow_state(change["new"])
        self.w_follow_kind.value = "pick one..."

    def day_log(self) -> DayLog | None:
        """The followed member's last day told (None before a step with it followed)."""
        return None if self.watch is None else self.watch.today

    # --- showing ------------------------------------------------------------------------------------
    def counter_text(self) -> str:
        """What the counter says: the day and the horizon."""
        m = self.model
        end = " (the end)" if not m.running and m.day > 0 else ""
        return f"Day {m.day} of {m.days}{end}"

    def _show(self) -> None:
        assert self.picture is not None  # (drawn when the first model is made)
        self.picture.update(self.model, highlight=self.followed)
        self.w_image.value = self.picture.png()
        self.w_counter.value = f"<b style='font-size:1.3em'>{self.counter_text()}</b>"
        self.w_step.disabled = not self.model.running
        self.w_log.value = self._log_html()

    def _log_html(self) -> str:
        if self.followed is None:
            return ""
        m = self.model.member_list[self.followed]
        state = member_states(self.model)[self.followed]
        head = (
            f"<h4 style='margin:4px 0'>Member #{m.slot}: {state} "
            f"<span style='color:{STATE_HEX[state]}'>&#9679;</span> (ringed in black on the picture)</h4>"
            f"<p>activity {m.activity:.2f}, expertise {m.expertise:.2f}, temper {m.temper:.2f}; "
            f"{len(m.contacts)} contacts; satisfaction {m.satisfaction:.3f}; {m.posts} contributions.</p>"
        )
        log = self.day_log()
        if log is None or log.day != self.model.day - 1:
            return head + "<p><i>Press Step a day: its day is told from the next day on.</i></p>"
        return head + log.html()

    # --- saving -------------------------------------------------------------------------------------
    def frames(self, days: int | None = None) -> list[bytes]:
        """PNG frames of this community from day 0 to ``days`` (default: the day shown, or the
        horizon at day 0), replayed on a copy with the same settings (the same run: same seed)."""
        s = self.running_settings
        last = days if days is not None else (self.model.day or self.model.days)
        twin = CommunityModel(
            s["scenario"], s["strategy"], members=s["members"], days=s["days"], seed=s["seed"]
        )
        pic = CommunityPicture(twin)
        out = [pic.png()]
        for _ in range(min(last, twin.days)):
            twin.step()
            pic.update(twin, highlight=self.followed)
            out.append(pic.png())
        return out

    def save(self, path: str | Path, days: int | None = None, fps: int = 4) -> Path:
        """Save the run as an animated GIF (``.gif``) or a self-contained HTML page (``.html``).

        The page needs no internet: frames are embedded, with a slider and a play button.
        """
        path = Path(path)
        if path.suffix.lower() not in (".gif", ".html"):
            raise CmsimError(f"{path}: the file name must end in .gif or .html, got {path.suffix!r}")
        frames = self.frames(days)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".gif":
            images = [Image.open(io.BytesIO(f)).convert("RGB") for f in frames]
            images[0].save(path, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
        else:
            r = self.running_settings
            what = (f"{r['scenario']}, {r['strategy']}, {r['members']} members, seed {r['seed']}: "
                    f"days 0 to {len(frames) - 1}")  # fmt: skip
            path.write_text(_html_page(frames, fps, what), encoding="utf-8")
        return path

    def _on_save(self) -> None:
        try:
            p = self.save(self.w_save_path.value)
        except (CmsimError, OSError) as e:
            self.w_saved.value = f"<span style='color:#b00'>{html.escape(str(e))}</span>"
            return
        self.w_saved.value = f"Saved {html.escape(str(p))} ({p.stat().st_size // 1024} KB)."


def _check(what: str, value: Any, allowed: list[str]) -> None:
    if value not in allowed:
        raise CmsimError(f"InsideTheModel: '{what}' must be one of {', '.join(allowed)}; got {value!r}")


def _legend_html() -> str:
    rows = "".join(
        f"<span style='display:inline-block;margin-right:12px'><span style='color:{STATE_HEX[s]};"
        f"font-size:1.3em'>&#9679;</span> <b>{s}</b>: {html.escape(STATE_MEANING[s])}</span>"
        for s in STATES
    )
    return f"<div style='font-size:0.85em;max-width:880px'>{rows}<br>Dot size: the member's activity.</div>"


def _html_page(frames: list[bytes], fps: int, title: str) -> str:
    imgs = ",".join(f'"data:image/png;base64,{base64.b64encode(f).decode()}"' for f in frames)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>cmsim: inside the model</title></head>
<body style="font-family:sans-serif"><h3>cmsim: inside the model ({html.escape(title)})</h3>
<img id="f" style="max-width:100%"><br>
<button id="p">Play</button> <input id="s" type="range" min="0" max="{len(frames) - 1}" value="0" style="width:60%">
<span id="d"></span>
<script>
const F=[{imgs}];const img=document.getElementById("f"),s=document.getElementById("s"),d=document.getElementById("d"),
b=document.getElementById("p");let t=null;
function show(i){{img.src=F[i];s.value=i;d.textContent="day "+i;}}
function stop(){{if(t){{clearInterval(t);t=null;}}b.textContent="Play";}}
s.oninput=()=>{{stop();show(+s.value);}};
b.onclick=()=>{{if(t){{stop();return;}}if(F.length<2)return;if(+s.value>=F.length-1)show(0);b.textContent="Pause";
t=setInterval(()=>{{const i=+s.value+1;show(i);if(i>=F.length-1)stop();}},{int(1000 / fps)});}};
show(0);
</script></body></html>
"""
