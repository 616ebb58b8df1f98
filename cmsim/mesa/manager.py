"""The community manager (or team) of the Mesa engine, and the day's shared records.

The :class:`Manager` agent holds the week's hours per lever, its stress, burnout and
know-how. Each morning it turns hours, yesterday's loads and today's events into today's chances
(:class:`Today`); each evening it notes the loads and lives its own day (stress, burnout,
quitting, learning). :class:`Tally` holds the day's counts that members add to and the
``DataCollector`` reports. Same rules, draws and operation order as ``cmsim/_kernels/step.py``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mesa import Agent

from cmsim._kernels import layout as L
from cmsim._kernels.levers import saturation, throughput
from cmsim._kernels.step import FIRST_REPLY_COST, LEARN_SOFTEN, LEARN_SPEED  # docs/model.md
from cmsim._kernels.tally import FIXED_POINT
from cmsim.mesa.draws import uniform

# One formula for both engines: the compiled kernels' own Python functions.
_saturation = saturation.py_func
_throughput = throughput.py_func

if TYPE_CHECKING:
    from cmsim.mesa.model import CommunityModel

__all__ = ["Manager", "Today", "Tally"]


class Manager(Agent):
    """The community manager (or team): a weekly budget of hours over eight levers.

    ``hours`` is this week's allocation in the order of ``cmsim.LEVERS``; ``stress`` (0-1),
    ``burned_out``, ``present`` (False during a vacancy after a quit), ``know_how`` (platform
    know-how from learning) and the loads seen yesterday drive what the levers achieve today.
    """

    def __init__(self, model: CommunityModel) -> None:
        super().__init__(model)
        p = model.p
        self.hours = [0.0] * 8
        self.present = p.manager.count > 0
        self.stress = p.manager.initial_stress
        self.burned_out = False
        self.vacant_until = 0.0
        self.know_how = 0.0
        self.reach_shock = 0.0  # reach lost to algorithm changes, decaying as the manager adapts
        self.quits = 0
        # What the manager saw yesterday: the loads that today's hours are spread over.
        self.offending_posts = 0.0
        self.open_threads = 0.0
        self.unwelcomed_newcomers = 0.0
        self.open_first_posts = 0.0
        self.members_at_risk = 0.0
        # What the community saw yesterday: its new questions and the expertise of its visitors.
        self.expertise_seen = 0.0
        self.new_questions = 0.0

    def __repr__(self) -> str:
        return f"Manager(stress={self.stress:.2f}, burned_out={self.burned_out}, present={self.present})"

    def lever_effects(self) -> dict[str, float]:
        """What this week's hours achieve per day.

        Capacities follow the team's hours (:func:`~cmsim._kernels.levers.throughput`, items per
        day); the other levers saturate (:func:`~cmsim._kernels.levers.saturation`, a share).
        ``effectiveness`` is 0 when nobody is in post and reduced by burnout; ``target`` is the
        share of effort analytics aims at the right members.

        Kernel: ``levers.manager_levers``.
        """
        p, lv, h = self.model.p, self.model.p.levers, self.hours
        n = max(p.manager.count, 1.0)
        e = 1.0 if self.present else 0.0
        if self.burned_out:
            e *= p.manager.burnout_effectiveness
        sat = [_saturation(h[k], n * scale) for k, scale in self._shares()]
        g = lv.analytics_gain
        return {
            "effectiveness": e,
            "moderation_capacity": _throughput(h[0], lv.moderation_rate, lv.moderation_scale) * e / 7.0,
            "responding_capacity": _throughput(h[1], lv.responding_rate, lv.responding_scale) * e / 7.0,
            "content": sat[0] * e,
            "welcoming_capacity": _throughput(h[3], lv.welcome_rate, lv.welcoming_scale) * e / 7.0,
            "outreach_capacity": _throughput(h[3], lv.outreach_rate, lv.welcoming_scale) * e / 7.0,
            "events": sat[1] * e,
            "target": (1.0 + g * sat[2] * e) / (1.0 + g),
            "learning": sat[3] * e,
            "self_care": sat[4],
        }

    def _shares(self) -> tuple[tuple[int, float], ...]:
        """``(lever index, scale)`` of the levers whose effect is a share of saturation."""
        lv = self.model.p.levers
        return ((2, lv.content_scale), (4, lv.events_scale), (5, lv.analytics_scale), (6, lv.learning_scale),
                (7, lv.self_care_scale))  # fmt: skip

    def plan_day(self, tl: Any) -> Today:
        """Turn the week's hours, yesterday's loads and today's events into today's chances.

        Kernel: ``levers.day_scalars``.
        """
        p = self.model.p
        e = self.lever_effects()
        t = Today()
        t.levers = e
        know = self.know_how
        # Moderation reviews yesterday's offending posts; analytics aims the reviews.
        load = max(1.0, self.offending_posts)
        t.p_detect = p.levers.detection * min(1.0, e["moderation_capacity"] * e["target"] / load)
        # The hours a moderator watches catch a share of offending posts the day they are posted,
        # before members read them (as many as the reviews keep up with).
        watch = self.hours[0] * e["effectiveness"]
        t.p_quick = t.p_detect * _saturation(watch, p.levers.quick_review_scale)
        t.ban_wave = tl[L.TL_BAN_WAVE]
        t.p_manager = min(1.0, e["responding_capacity"] / max(1.0, self.open_threads))
        # Answering capacity the waiting questions leave answers today's new ones peers left.
        left = max(0.0, e["responding_capacity"] - self.open_threads)
        t.p_manager_now = min(1.0, left / max(1.0, self.new_questions))
        t.content = e["content"]
        welcome_cap = e["welcoming_capacity"]
        t.p_welcome = min(1.0, welcome_cap / max(1.0, self.unwelcomed_newcomers))
        # Welcoming hours greet newcomers first, then reply to their open first posts (a reply
        # costs FIRST_REPLY_COST greetings); the share they leave goes to outreach.
        spare = 0.0
        t.p_first_reply = 0.0
        if welcome_cap > 0.0:
            left = max(0.0, welcome_cap - self.unwelcomed_newcomers)
            replies = FIRST_REPLY_COST * self.open_first_posts
            t.p_first_reply = min(1.0, left / max(FIRST_REPLY_COST, replies))
            spare = max(0.0, left - replies) / welcome_cap
        outreach = spare * e["outreach_capacity"] * e["target"]
        t.p_outreach = min(1.0, outreach / max(1.0, self.members_at_risk))
        if tl[L.TL_WELCOME_CAMPAIGN] > 0.0:
            t.p_welcome = 1.0
            t.p_outreach = 1.0
        t.p_event = min(1.0, p.levers.event_reach * e["events"] + tl[L.TL_AMA])
        # Reach: algorithm changes cut it, know-how softens the cut and speeds the recovery.
        tau = p.platform.recovery_days * (1.0 - LEARN_SPEED * know)
        shock = self.reach_shock * math.exp(-1.0 / tau) + tl[L.TL_ALGO] * (1.0 - LEARN_SOFTEN * know)
        self.reach_shock = shock
        reach = p.platform.reach * (1.0 - min(shock, 1.0)) + tl[L.TL_CHANNEL] * know
        t.reach = max(reach, 0.0)
        t.visit_mult = t.reach * tl[L.TL_SEASON] * (1.0 + p.levers.content_visits * e["content"])
        t.complaint_mult = 3.0 if tl[L.TL_CRISIS] > 0.0 else 1.0
        t.shock = tl[L.TL_CRISIS_SHOCK]
        t.churn_mult = 1.0 + tl[L.TL_COMPETITOR]
        # The front page: yesterday's visitors each read `front_page` of the questions asked that
        # day; a new question gets Poisson(lam) answers from them, at least one with chance 1 - exp(-lam).
        expertise = self.expertise_seen / FIXED_POINT
        lam = p.dynamics.front_page * p.dynamics.answer_rate * expertise / max(1.0, self.new_questions)
        t.front_lambda = lam
        t.p_front = 1.0 - math.exp(-lam)
        return t

    def see_the_day(self, tally: Tally) -> None:
        """Note today's loads, which tomorrow's hours are spread over.

        Kernel: ``community.community_changes``, "Loads seen by tomorrow's manager".
        """
        self.offending_posts = float(tally.toxic_posts + tally.spam_posts)
        self.open_threads = float(tally.pending)
        self.unwelcomed_newcomers = float(tally.unwelcomed_visitors)
        self.open_first_posts = float(tally.first_posts_open)
        self.members_at_risk = float(tally.at_risk)
        self.expertise_seen = float(tally.expertise_sum)
        self.new_questions = float(tally.questions)

    def end_day(self, tally: Tally) -> float:
        """The manager's day: overwork and toxicity build stress, rest and self-care relieve it;
        a burned-out manager may quit, leaving a vacancy. Returns the hours worked today.

        Kernel: ``community.community_changes``, "The manager's day".
        """
        p, day = self.model.p, self.model.day
        m = p.manager
        n = max(m.count, 1.0)
        hours = 0.0
        self.burned_today = False
        if self.present:
            for h in self.hours:
                hours += h
            work = (hours - self.hours[7]) / n
            load = m.overwork_stress * max(0.0, work - m.sustainable_hours) / 7.0
            load += m.toxicity_stress * tally.handled / n
            levers = self.model.today.levers
            rec = m.recovery + m.self_care_recovery * levers["self_care"] * p.levers.self_care_scale
            self.stress = min(max(self.stress + load - rec * self.stress, 0.0), 1.0)
            if self.stress >= m.burnout_threshold:
                self.burned_out = True
            elif self.burned_out and self.stress <= m.recover_threshold:
                self.burned_out = False
            self.burned_today = self.burned_out  # what the day's report shows, even on a quit day
            k = self.know_how
            self.know_how = k + p.levers.learning_rate / 7.0 * levers["learning"] * (1.0 - k)
            if self.burned_out and uniform(self.model.keys[L.S_QUIT], 0) < m.quit_rate:
                # The post stays empty from tomorrow for `vacancy_days` days.
                self.present = False
                self.burned_out = False
                self.vacant_until = day + 1 + m.vacancy_days
                self.quits += 1
        elif m.count > 0.0 and day + 1 >= self.vacant_until:
            # A new manager starts tomorrow, fresh but without the predecessor's know-how.
            self.present = True
            self.burned_out = False
            self.stress = m.initial_stress
            self.know_how = 0.0
        return hours


class Today:
    """Today's chances and factors, set each morning by :meth:`Manager.plan_day`."""

    levers: dict[str, float]
    p_detect: float  # chance a reviewed offending post is caught
    ban_wave: float  # 1 on the day of a ban wave
    p_manager: float  # chance the manager answers an open question or complaint
    p_manager_now: float  # chance the manager answers a question peers left, the day it is asked
    p_quick: float  # chance an offending post is removed the day it is posted, before anyone reads it
    p_first_reply: float  # chance the manager replies today to a newcomer's open first post
    content: float  # the manager's content (share of saturation)
    p_welcome: float  # chance a newcomer who visited is welcomed
    p_outreach: float  # chance a member at risk gets outreach
    p_event: float  # chance a visitor attends an event
    reach: float  # platform reach
    visit_mult: float  # reach x season x content
    complaint_mult: float  # 3 during a product crisis
    shock: float  # satisfaction shock of a product crisis starting today
    churn_mult: float  # 1 + competitor pull
    p_front: float  # chance an open question is answered from the front page today
    front_lambda: float  # front-page answers an open question gets today, on average


class Tally:
    """The day's counts, incremented by the agents and reported by the DataCollector."""

    __slots__ = (
        "visits", "posts", "replies", "questions", "questions_answered", "questions_expired",
        "complaints", "complaints_answered", "toxic_posts", "toxic_posts_members", "spam_posts",
        "active_trolls", "active_spammers", "removals", "churned", "reengaged", "newcomers",
        "first_posts", "first_posts_replied", "first_posts_unanswered", "welcomed", "outreach",
        "satisfaction_sum", "engagement_sum", "ordinary", "active", "lapsed", "wau", "mau",
        "response_days_sum", "unwelcomed_visitors", "at_risk", "satisfied", "handled",
        "newcomers_due_30d", "newcomers_retained_30d", "comebacks", "pending", "bad_accounts",
        "newcomers_due_60d", "newcomers_retained_60d", "newcomers_due_90d", "newcomers_retained_90d",
        "questions_answered_peer", "peer_answers", "expertise_sum", "first_posts_open",
    )  # fmt: skip

    if TYPE_CHECKING:  # every name of __slots__ is a count (or a sum) of the day

        def __getattr__(self, name: str) -> Any: ...

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)
        self.satisfaction_sum = 0.0
        self.engagement_sum = 0.0
