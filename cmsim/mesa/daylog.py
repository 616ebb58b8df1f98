"""A readable log of one member's day on the Mesa engine: what it saw, what it drew, why it acted.

:func:`follow` watches one :class:`~cmsim.mesa.agents.Member`: from then on every step of the
model writes a :class:`DayLog` of that member's day. The watch only *reads*: it wraps the
member's own methods on that one instance (``chance``, ``read_feed``, ``write``, ``act``,
``resolve``) to note each random draw with the chance it was compared with, what the member's
contacts showed it and its state in the morning and the evening, and then calls the member's
own method unchanged. A followed member makes the same draws and decisions as any other, so a
run with a followed member gives the same results (``tests/test_inside.py`` checks it).

Examples
--------
>>> from cmsim.mesa import CommunityModel
>>> model = CommunityModel("forum", members=60, days=5, seed=1)
>>> watch = follow(model.member_list[3])
>>> model.step()
>>> log = watch.logs[-1]
>>> log.day, log.slot
(0, 3)
>>> "Visit" in log.text() or "removed" in log.text() or "lapsed" in log.text()
True
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cmsim._kernels import layout as L
from cmsim.mesa import agents as A

__all__ = ["Draw", "DayLog", "MemberWatch", "follow"]

#: What each decision stream decides, in words (the streams of ``cmsim/_kernels/layout.py``).
DECISIONS: dict[int, str] = {
    L.S_DETECT: "caught by moderation",
    L.S_COMEBACK: "a removed troll comes back",
    L.S_VISIT: "visit today",
    L.S_REPLY: "reply to a contact's post",
    L.S_ANSWER: "answer a contact's question",
    L.S_CHAMP_ANSWER: "answer a contact's complaint (champions)",
    L.S_EVENT: "attend the manager's event",
    L.S_COMPLAIN: "complain",
    L.S_POST: "write something",
    L.S_TOXIC: "the post is toxic",
    L.S_KIND: "the post is a question",
    L.S_CONVERT: "turn troll",
    L.S_CHURN: "leave for good",
    L.S_LAPSED: "a lapsed member leaves for good",
    L.S_REENGAGE: "come back after lapsing",
    L.S_MGR_ANSWER: "the manager answers its open thread",
    L.S_TURNAROUND: "an answered complaint turns it around",
    L.S_WELCOME: "the manager welcomes it",
    L.S_OUTREACH: "the manager reaches out to it",
    L.S_QUEUE: "the approval queue holds its post (a new account)",
}
_ABOUT_CONTACTS = (L.S_REPLY, L.S_ANSWER, L.S_CHAMP_ANSWER)
_STATE_KEYS = ("status", "role", "satisfaction", "engagement", "exposure", "temper", "posts")


@dataclass
class Draw:
    """One random draw of the member: the decision, the chance it had, the number it drew.

    The decision goes its way when ``value < chance`` (``happened``); ``chance`` is None for the
    few draws that are not a yes/no decision (the waiting time of a troll who comes back).
    """

    stream: int
    value: float
    chance: float | None
    about: int | None = None

    @property
    def decision(self) -> str:
        """The decision in words."""
        return DECISIONS.get(self.stream, f"stream {self.stream}")

    @property
    def happened(self) -> bool | None:
        """True when the draw fell under the chance (the decision went its way)."""
        return None if self.chance is None else self.value < self.chance


@dataclass
class DayLog:
    """One member's day: its state in the morning and the evening, its feed and its draws.

    ``day`` is the model's day index (0 for the first day); the text counts days as the day
    counter of the pictures does, from 1: the log of ``day`` 11 reads "Day 12", the day that
    ends when the counter shows *Day 12*.
    """

    day: int
    slot: int
    morning: dict[str, Any]
    evening: dict[str, Any] = field(default_factory=dict)
    feed: dict[str, list[int]] = field(default_factory=dict)
    seen: dict[str, int] | None = None
    draws: list[Draw] = field(default_factory=list)

    def decisions(self) -> list[Draw]:
        """The yes/no draws, in the order the member made them (replies to contacts summed apart)."""
        return [d for d in self.draws if d.chance is not None and d.stream not in _ABOUT_CONTACTS]

    def lines(self) -> list[str]:
        """The day in plain sentences, in the order it happened."""
        m, e = self.morning, self.evening
        out = [
            f"Day {self.day + 1}, member #{self.slot}: in the morning its role is {m['role']}, its status {m['status']}."
        ]
        out.append(
            f"Morning: satisfaction {m['satisfaction']:.3f}, engagement {m['engagement']:.2f}, "
            f"exposure to toxicity {m['exposure']:.3f}."
        )
        if self.feed:
            shown = ", ".join(f"{len(v)} {k} ({_slots(v)})" for k, v in self.feed.items() if v)
            out.append(f"Its contacts showed yesterday: {shown or 'nothing'}.")
        read = self._read_line()
        for d in self.decisions():
            verdict = "yes" if d.happened else "no"
            out.append(f"{_cap(d.decision)}? chance {d.chance:.3f}, drew {d.value:.3f}: {verdict}.")
            if d.stream == L.S_VISIT and read:
                out.append(read)  # what it read comes right after the decision to visit
                read = ""
        if read:
            out.append(read)
        replies = [d for d in self.draws if d.stream in _ABOUT_CONTACTS]
        if replies:
            yes = sum(1 for d in replies if d.happened)
            out.append(
                f"About its contacts it drew {len(replies)} times (reply or answer), {yes} went ahead."
            )
        if e:
            out.append(
                f"Evening: role {e['role']}, status {e['status']}; satisfaction {m['satisfaction']:.3f} -> "
                f"{e['satisfaction']:.3f}, engagement {m['engagement']:.2f} -> {e['engagement']:.2f}, "
                f"posts {m['posts']} -> {e['posts']}."
            )
            out.extend(self._why())
        return out

    def _read_line(self) -> str:
        """What the member read on its visit ("" when it did not visit)."""
        if self.seen is None:
            return ""
        s = self.seen
        fed = " (a toxic post it replied to counts twice: feeding a troll)" if s["toxic"] else ""
        return (
            f"It read its feed: {s['posts']} posts, {s['toxic']} toxic{fed}, {s['spam']} spam, "
            f"{s['complaints']} complaints; it wrote {s['replies']} replies or answers."
        )

    def _why(self) -> list[str]:
        """Why the member ended the day as it did, from its draws."""
        m, e, why = self.morning, self.evening, []
        if e["status"] != m["status"]:
            why.append(f"Its status changed from {m['status']} to {e['status']}.")
        if e["role"] != m["role"]:
            why.append(f"It became a {e['role']}.")
        if m["status"] == A.ACTIVE and m["role"] in (A.MEMBER, A.CHAMPION):
            visit = next((d for d in self.draws if d.stream == L.S_VISIT), None)
            if visit is not None and not visit.happened:
                why.append("It did not visit: its draw was above its chance of a visit.")
        return why

    def text(self) -> str:
        """The day as plain text, one sentence a line."""
        return "\n".join(self.lines())

    def html(self) -> str:
        """The day as a small HTML block: the sentences, then a table of its draws."""
        items = "".join(f"<li>{html.escape(s)}</li>" for s in self.lines())
        rows = "".join(
            f"<tr><td>{html.escape(d.decision)}</td><td>{'' if d.about is None else '#' + str(d.about)}</td>"
            f"<td>{'' if d.chance is None else f'{d.chance:.3f}'}</td><td>{d.value:.3f}</td>"
            f"<td>{'' if d.happened is None else ('yes' if d.happened else 'no')}</td></tr>"
            for d in self.draws
        )
        table = (
            "<table><tr><th>decision</th><th>about</th><th>chance</th><th>drew</th><th>result</th></tr>"
            f"{rows}</table>"
            if rows
            else "<p>It drew nothing today.</p>"
        )
        return f"<ul>{items}</ul><details><summary>Every draw ({len(self.draws)})</summary>{table}</details>"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _slots(slots: list[int], most: int = 6) -> str:
    shown = ", ".join(f"#{s}" for s in slots[:most])
    return shown + (f" and {len(slots) - most} more" if len(slots) > most else "")


def _state(m: A.Member) -> dict[str, Any]:
    return {k: getattr(m, k) for k in _STATE_KEYS}


class MemberWatch:
    """Follows one member: each day it acts writes a :class:`DayLog` to ``logs`` (the newest last).

    Create it with :func:`follow`; :meth:`stop` ends the watch. ``keep`` is how many days of logs
    are kept.
    """

    def __init__(self, member: A.Member, keep: int = 30) -> None:
        self.member = member
        self.keep = keep
        self.logs: list[DayLog] = []
        self._toxic_seen = 0
        self._n_active = 0
        m = member
        self._chances: dict[int, Callable[[], float]] = {
            L.S_DETECT: m.detection_chance,
            L.S_VISIT: m.visit_chance,
            L.S_EVENT: lambda: m.model.today.p_event,
            L.S_COMPLAIN: lambda: m.model.p.dynamics.complaint_rate * m.model.today.complaint_mult,
            L.S_POST: self._post_chance,
            L.S_TOXIC: lambda: m.toxic_chance(self._toxic_seen),
            L.S_KIND: lambda: m.model.p.members.question_share,
            L.S_CONVERT: lambda: m.model.p.trolls.conversion,
            L.S_CHURN: m.leave_chance,
            L.S_LAPSED: lambda: m.model.p.dynamics.lapsed_leave * m.model.today.churn_mult,
            L.S_REENGAGE: self._comeback_chance,
            L.S_TURNAROUND: lambda: m.model.p.dynamics.turnaround,
            L.S_WELCOME: lambda: m.model.today.p_welcome,
            L.S_OUTREACH: lambda: m.model.today.p_outreach,
            L.S_FOLLOW_UP: lambda: m.model.today.p_follow_up,
            L.S_QUEUE: lambda: m.model.today.p_queue,
        }
        cls = type(member)
        self._wrapped = ("chance", "chance_about", "act", "resolve", "read_feed", "write")
        member.chance = self._chance(cls.chance.__get__(member))  # type: ignore[method-assign,assignment]
        member.chance_about = self._chance_about(cls.chance_about.__get__(member))  # type: ignore[method-assign,assignment]
        member.act = self._act(cls.act.__get__(member))  # type: ignore[method-assign]
        member.resolve = self._resolve(cls.resolve.__get__(member))  # type: ignore[method-assign]
        member.read_feed = self._read_feed(cls.read_feed.__get__(member))  # type: ignore[method-assign]
        member.write = self._write(cls.write.__get__(member))  # type: ignore[method-assign,assignment]

    @property
    def today(self) -> DayLog | None:
        """The newest day's log (None before the first step)."""
        return self.logs[-1] if self.logs else None

    def stop(self) -> None:
        """Stop following: the member's own methods are used again."""
        for name in self._wrapped:
            self.member.__dict__.pop(name, None)

    # --- chances the member's own rules compute ------------------------------------------------
    def _post_chance(self) -> float:
        m = self.member
        p = m.model.p
        if m.role == A.TROLL:
            return p.trolls.post_rate
        if m.role == A.SPAMMER:
            return p.spam.post_rate
        return p.members.post_rate * m.activity * m.engagement

    def _comeback_chance(self) -> float:
        return 1.0 - A.int_power(1.0 - self.member.model.p.dynamics.reengagement, self._n_active)

    # --- wrappers: note, then call the member's own method unchanged -----------------------------
    def _chance(self, own: Callable[[int], float]) -> Callable[[int], float]:
        def chance(stream: int) -> float:
            value = own(stream)
            rule = self._chances.get(stream)
            if self.logs:
                self.logs[-1].draws.append(Draw(stream, value, None if rule is None else rule()))
            return value

        return chance

    def _chance_about(self, own: Callable[[int, int], float]) -> Callable[[int, int], float]:
        def chance_about(stream: int, other: int) -> float:
            value = own(stream, other)
            if self.logs:
                self.logs[-1].draws.append(Draw(stream, value, self._about_chance(stream, other), other))
            return value

        return chance_about

    def _about_chance(self, stream: int, other: int) -> float | None:
        m = self.member
        if stream == L.S_MGR_ANSWER:
            return m.model.today.p_manager
        if stream == L.S_COMEBACK:
            return m.model.p.trolls.comeback if other == 0 else None
        p_reply, p_reply_toxic, p_answer = m.reply_chances()
        if stream == L.S_ANSWER:
            return p_answer
        if stream == L.S_CHAMP_ANSWER:
            return m.model.p.dynamics.answer_rate
        shown = m.model.member_list[other].shown_yesterday
        earlier = [d for d in self.logs[-1].draws if d.stream == L.S_REPLY and d.about == other]
        return p_reply_toxic if shown & A.TOXIC and not earlier else p_reply

    def _act(self, own: Callable[[], None]) -> Callable[[], None]:
        def act() -> None:
            m = self.member
            log = DayLog(m.model.day, m.slot, _state(m))
            log.feed = _feed(m)
            bits = A.POSTED | A.FIRST_POST | A.QUESTION  # what can bring a lapsed member back
            self._n_active = sum(1 for c in m.contacts if c.shown_yesterday & bits)
            self.logs.append(log)
            del self.logs[: -self.keep]
            own()

        return act

    def _resolve(self, own: Callable[[], None]) -> Callable[[], None]:
        def resolve() -> None:
            own()
            if self.logs:
                self.logs[-1].evening = _state(self.member)

        return resolve

    def _read_feed(self, own: Callable[[], dict[str, int]]) -> Callable[[], dict[str, int]]:
        def read_feed() -> dict[str, int]:
            seen = own()
            if self.logs:
                self.logs[-1].seen = dict(seen)
            return seen

        return read_feed

    def _write(self, own: Callable[[int], bool]) -> Callable[[int], bool]:
        def write(toxic_seen: int) -> bool:
            self._toxic_seen = toxic_seen
            return own(toxic_seen)

        return write


def _feed(m: A.Member) -> dict[str, list[int]]:
    """What each kind of post the member's contacts showed yesterday, by contact slot."""
    kinds = {
        "posts": A.POSTED | A.FIRST_POST,
        "toxic posts": A.TOXIC,
        "spam": A.SPAM,
        "open questions": A.QUESTION,
        "open complaints": A.COMPLAINT,
    }
    return {k: [c.slot for c in m.contacts if c.shown_yesterday & bits] for k, bits in kinds.items()}


def follow(member: A.Member, keep: int = 30) -> MemberWatch:
    """Follow ``member``: each step of its model then writes a :class:`DayLog` of its day.

    Parameters
    ----------
    member : Member
        The member to follow (``model.member_list[slot]``).
    keep : int, default 30
        How many days of logs to keep.

    Returns
    -------
    MemberWatch
        ``watch.today`` is the newest day's log; ``watch.stop()`` ends the watch.
    """
    return MemberWatch(member, keep=keep)
