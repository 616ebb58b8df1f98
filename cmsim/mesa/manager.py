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

import numpy as np
from mesa import Agent

from cmsim._kernels import layout as L
from cmsim._kernels.community import manager_day
from cmsim._kernels.levers import approval_queue, manager_levers, saturation, spare_hours
from cmsim._kernels.raid import raider_chances
from cmsim._kernels.step import FIRST_REPLY_COST, LEARN_SOFTEN, LEARN_SPEED  # docs/model.md
from cmsim._kernels.tally import FIXED_POINT, FOLLOW_UP_COST, KERNEL_ONLY, TALLIES
from cmsim.mesa.draws import uniform

# One formula for both engines: the compiled kernels' own Python functions.
_manager_levers = manager_levers.py_func
_manager_day = manager_day.py_func
_saturation = saturation.py_func
_spare_hours = spare_hours.py_func
_raider_chances = raider_chances.py_func
_approval_queue = approval_queue.py_func

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
        self.burned_today = False  # what the day's report shows
        self.vacant_until = 0.0
        self.know_how = 0.0
        self.reach_shock = 0.0  # reach lost to algorithm changes, decaying as the manager adapts
        self.quits = 0
        # What the manager saw yesterday: the loads that today's hours are spread over.
        self.offending_posts = 0.0
        self.open_threads = 0.0
        self.unwelcomed_newcomers = 0.0
        self.open_first_posts = 0.0
        self.follow_ups_due = 0.0
        self.members_at_risk = 0.0
        self.reported_accounts = 0.0
        self.new_account_posts = 0.0  # posts by accounts with nothing published yet (the queue)
        # What the community saw yesterday: its new questions and the expertise of its visitors.
        self.expertise_seen = 0.0
        self.new_questions = 0.0
        # The raid (kernel: raid.py): raiders' posts of yesterday left to read, and how often one
        # of the day before was read in the raided space.
        self.raid_posts = 0.0
        self.raid_reads = 0.0

    def __repr__(self) -> str:
        return f"Manager(stress={self.stress:.2f}, burned_out={self.burned_out}, present={self.present})"

    def lever_effects(self) -> dict[str, float]:
        """What this week's hours achieve per day.

        Capacities follow the team's hours (:func:`~cmsim._kernels.levers.throughput`, items per
        day); the other levers saturate (:func:`~cmsim._kernels.levers.saturation`, a share).
        ``effectiveness`` is 0 when nobody is in post and reduced by burnout; ``target`` is the
        share of effort analytics aims at the right members.

        One formula for both engines: the kernels' :func:`~cmsim._kernels.levers.manager_levers`
        (its Python function), given this manager's state. Kernel: ``levers.manager_levers``.
        """
        state = np.zeros(L.N_M)
        state[L.M_PRESENT] = 1.0 if self.present else 0.0
        state[L.M_BURNED_OUT] = 1.0 if self.burned_out else 0.0
        e, mod, resp, content, welcome, events, target, learning, care, outreach = _manager_levers(
            self.model._P, state, np.asarray(self.hours, dtype=np.float64)
        )
        return {
            "effectiveness": e,
            "moderation_capacity": mod,
            "responding_capacity": resp,
            "content": content,
            "welcoming_capacity": welcome,
            "outreach_capacity": outreach,
            "events": events,
            "target": target,
            "learning": learning,
            "self_care": care,
        }

    def plan_day(self, tl: Any) -> Today:
        """Turn the week's hours, yesterday's loads and today's events into today's chances.

        Kernel: ``levers.day_scalars``.
        """
        p = self.model.p
        e = self.lever_effects()
        t = Today()
        t.levers = e
        know = self.know_how
        # Moderation reviews the accounts members reported yesterday first, then yesterday's
        # offending posts with the hours left; analytics aims the search for the unreported ones.
        cap, reported = e["moderation_capacity"], self.reported_accounts
        t.p_reported = p.levers.detection * min(1.0, cap / max(1.0, reported))
        load = max(1.0, self.offending_posts)
        t.p_detect = p.levers.detection * min(1.0, max(0.0, cap - reported) * e["target"] / load)
        # The hours a moderator watches catch a share of offending posts the day they are posted,
        # before members read them (as many as the reviews keep up with).
        watch = self.hours[0] * e["effectiveness"]
        t.p_quick = t.p_detect * _saturation(watch, p.levers.quick_review_scale)
        # Hours the reviews and the queue leave make the norms visible (rules restated, removals explained,
        # moderators seen in threads): a share of members' toxic posts is never written.
        # Capacity the reviews leave runs the approval queue first (cheap triage), then the norms.
        reviews = reported + self.offending_posts
        t.p_queue, queue_load = _approval_queue(cap, reviews, self.new_account_posts, p.levers.queue_cost)
        spare_mod = _spare_hours(watch, cap, reviews + queue_load)
        t.norm = p.levers.norm_max * _saturation(spare_mod, p.levers.norm_scale)
        t.ban_wave = tl[L.TL_BAN_WAVE]
        t.p_manager = min(1.0, e["responding_capacity"] / max(1.0, self.open_threads))
        # Answering capacity the waiting questions leave answers today's new ones peers left.
        left = max(0.0, e["responding_capacity"] - self.open_threads)
        t.p_manager_now = min(1.0, left / max(1.0, self.new_questions))
        t.content = e["content"]
        welcome_cap = e["welcoming_capacity"]
        t.p_welcome = min(1.0, welcome_cap / max(1.0, self.unwelcomed_newcomers))
        # Welcoming hours greet newcomers first, then reply to their open first posts (a reply
        # costs FIRST_REPLY_COST greetings), then follow up with newcomers past their first week
        # (one greeting each); the share they leave goes to outreach.
        spare = 0.0
        t.p_first_reply = 0.0
        t.p_follow_up = 0.0
        if welcome_cap > 0.0:
            left = max(0.0, welcome_cap - self.unwelcomed_newcomers)
            replies = FIRST_REPLY_COST * self.open_first_posts
            t.p_first_reply = min(1.0, left / max(FIRST_REPLY_COST, replies))
            left = max(0.0, left - replies)
            follow = FOLLOW_UP_COST * self.follow_ups_due
            t.p_follow_up = min(1.0, left / max(FOLLOW_UP_COST, follow))
            spare = max(0.0, left - follow) / welcome_cap
        outreach = spare * e["outreach_capacity"] * e["target"]
        t.p_outreach = min(1.0, outreach / max(1.0, self.members_at_risk))
        if tl[L.TL_WELCOME_CAMPAIGN] > 0.0:
            t.p_welcome = 1.0
            t.p_outreach = 1.0
        t.p_event = min(1.0, p.levers.event_reach * e["events"] + tl[L.TL_AMA])
        # Reach: algorithm changes cut it; today's know-how softens the cut (a manager who keeps
        # learning adapts to a change that lasts) and speeds the recovery.
        tau = p.platform.recovery_days * (1.0 - LEARN_SPEED * know)
        shock = self.reach_shock * math.exp(-1.0 / tau) + tl[L.TL_ALGO]
        self.reach_shock = shock
        reach = (
            p.platform.reach * (1.0 - min(shock * (1.0 - LEARN_SOFTEN * know), 1.0)) + tl[L.TL_CHANNEL] * know
        )
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
        t.raid_posts = self.raid_posts
        t.raid_reads = self.raid_reads
        t.p_raid_reported, t.p_raid_fed = _raider_chances(self.model._P, self.raid_reads)
        return t

    def see_the_day(self, tally: Tally, reported: int) -> None:
        """Note today's loads, which tomorrow's hours are spread over (``reported``: the active
        accounts members reported today, reviewed first tomorrow).

        Kernel: ``community.community_changes``, "Loads seen by tomorrow's manager".
        """
        self.offending_posts = float(tally.toxic_posts + tally.spam_posts)
        self.open_threads = float(tally.pending)
        self.unwelcomed_newcomers = float(tally.unwelcomed_visitors)
        self.open_first_posts = float(tally.first_posts_open)
        self.follow_ups_due = float(tally.follow_ups_due)
        self.members_at_risk = float(tally.at_risk)
        self.reported_accounts = float(reported)
        self.new_account_posts = float(tally.new_account_posts)
        self.expertise_seen = float(tally.expertise_sum)
        self.new_questions = float(tally.questions)
        # today's readings per raid post of yesterday, then today's raid posts
        self.raid_reads = tally.raid_reads / self.raid_posts if self.raid_posts > 0.0 else 0.0
        self.raid_posts = float(tally.raid_posts)

    def end_day(self, tally: Tally) -> float:
        """The manager's day: overwork and toxicity build stress, rest and self-care relieve it;
        a burned-out manager may quit, leaving a vacancy. Returns the hours worked today.

        One formula for both engines: :func:`~cmsim._kernels.community.manager_day` (its Python
        function). Kernel: ``community.community_changes``, "The manager's day".
        """
        model = self.model
        levers = model.today.levers
        hours, present, stress, burned, burned_today, know_how, vacant_until, quit = _manager_day(
            model.day, model._P, self.hours, 1.0 if self.present else 0.0, self.stress,
            1.0 if self.burned_out else 0.0, self.know_how, self.vacant_until, float(tally.handled),
            levers["self_care"], levers["learning"], uniform(model.keys[L.S_QUIT], 0),
        )  # fmt: skip
        self.present, self.burned_out = present > 0.0, burned > 0.0
        self.burned_today = burned_today > 0.0  # what the day's report shows, even on a quit day
        self.stress, self.know_how, self.vacant_until = float(stress), float(know_how), float(vacant_until)
        self.quits += int(quit)
        return hours


class Today:
    """Today's chances and factors, set each morning by :meth:`Manager.plan_day`."""

    levers: dict[str, float]
    p_detect: float  # chance a reviewed offending post is caught
    p_reported: float  # chance a reported account is caught (reviewed first)
    ban_wave: float  # 1 on the day of a ban wave
    p_manager: float  # chance the manager answers an open question or complaint
    p_manager_now: float  # chance the manager answers a question peers left, the day it is asked
    p_quick: float  # chance an offending post is removed the day it is posted, before anyone reads it
    p_first_reply: float  # chance the manager replies today to a newcomer's open first post
    p_queue: float  # chance a new account's post goes through the approval queue
    norm: float  # share of members' toxic posts that visible moderation prevents today
    p_follow_up: float  # chance the manager follows up today with a newcomer past its first week
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
    raid_posts: float  # raiders' posts of yesterday (not removed that day) read in the raided space today
    raid_reads: float  # readings a raider's post of the day before yesterday had, on average
    p_raid_reported: float  # chance a raider's post read that often was reported (raid.raider_chances)
    p_raid_fed: float  # chance it drew a reply


class Tally:
    """The day's counts, incremented by the agents and reported by the DataCollector.

    One attribute per count the kernels tally (``cmsim._kernels.tally.TALLIES``, same names); a
    count named like a column of ``Run.daily`` is reported in it as it is.
    """

    # the kernels' names of the day's counts (``cmsim._kernels.tally.TALLIES``), but their bookkeeping
    __slots__ = tuple(name for name in TALLIES if name not in KERNEL_ONLY)

    if TYPE_CHECKING:  # every name of __slots__ is a count (or a sum) of the day

        def __getattr__(self, name: str) -> Any: ...

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)
        self.satisfaction_sum = 0.0
        self.engagement_sum = 0.0
