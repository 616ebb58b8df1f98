"""The agents of the Mesa engine: community members and the manager.

Read this file to follow a member's day. Every day has three phases (``CommunityModel.step``):

1. **members act** (:meth:`Member.act`), all "at once": each member reads what its contacts
   showed *yesterday*, so the order members act in does not matter;
2. **threads resolve** (:meth:`Member.resolve`): questions, complaints and first posts get their
   answers, expire or stay open; newcomers are welcomed; members at risk get outreach;
3. **the community changes** (``CommunityModel``): newcomers arrive and link to members, and
   the :class:`Manager` ends the day (stress, burnout, learning).

These agents are the readable twin of the compiled engine (``cmsim/_kernels/step.py``): the
same rules, the same random draws (one named stream per decision, see :mod:`cmsim.mesa.draws`)
and the same order of floating-point operations, so both engines give identical results. Like
the compiled engine, a member holds its traits and moods in single precision (``L.F_DTYPE``):
they are computed in double precision and rounded (:func:`held`) where that engine stores them,
at the end of a member's phase 1 and phase 2, and when a warning lowers its temper.
Parameters are read as ``model.p.<section>.<name>``, the dotted keys of the scenario files.
"""

from __future__ import annotations

import math
import struct
from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import FixedAgent

from cmsim._kernels import layout as L
from cmsim._kernels.levers import front_answers
from cmsim._kernels.members import warned
from cmsim._kernels.raid import (
    in_raided_space,
    raid_reads,
    raid_reply,
    raid_report,
    raider_fed,
    raider_reported,
)
from cmsim._kernels.step import (  # structural constants (docs/model.md)
    CRISIS_SPREAD,
    EVENT_SAT,
    EXPOSURE_FLOOR,
    FIXED_POINT,
    MAX_VISIT,
    NORM_SMOOTHING,
    REUSE_SCAN,
    WELCOME_DAYS,
)
from cmsim.mesa.draws import int_power, uniform, uniform2
from cmsim.mesa.manager import Manager

_front_answers = front_answers.py_func  # one formula for both engines
_warned = warned.py_func
_in_raided_space = in_raided_space.py_func
_raid_reads = raid_reads.py_func
_raid_reply = raid_reply.py_func
_raid_report = raid_report.py_func
_raider_fed = raider_fed.py_func
_raider_reported = raider_reported.py_func

if TYPE_CHECKING:
    from cmsim.mesa.model import CommunityModel

__all__ = [
    "Member",
    "Manager",
    "ACTIVE",
    "LAPSED",
    "LEFT",
    "REMOVED",
    "MEMBER",
    "CHAMPION",
    "TROLL",
    "SPAMMER",
]

# Status of a member.
ACTIVE, LAPSED, LEFT, REMOVED = "active", "lapsed", "left", "removed"
# Roles: ordinary members and champions (prolific helpers) vs bad actors.
MEMBER, CHAMPION, TROLL, SPAMMER = "member", "champion", "troll", "spammer"
BAD_ACTORS = (TROLL, SPAMMER)

# What a member shows its contacts for one day (bits; contacts read them the next day).
POSTED = L.A_POSTED  # an ordinary post
TOXIC = L.A_TOXIC  # a toxic post
SPAM = L.A_SPAM  # spam
HIDDEN = L.A_HIDDEN  # toxic or spam, removed the day it was posted: nobody reads it
QUESTION = L.A_QUESTION  # an open, unanswered question
COMPLAINT = L.A_COMPLAINT  # an open, unanswered complaint
FIRST_POST = L.A_FIRST  # a newcomer's first post, still waiting for a reply

# The fate of a newcomer's first post.
FP_NONE, FP_OPEN, FP_REPLIED, FP_UNANSWERED = "none", "open", "replied", "unanswered"


_HELD = struct.Struct(np.dtype(L.F_DTYPE).char)  # ("f": packing rounds to nearest, as numpy does)


def held(x: float) -> float:
    """``x`` as a member holds it: rounded to single precision (``L.F_DTYPE``), as the compiled
    engine's member arrays hold it. (A round trip through ``struct``: 0.1 us, a third of
    ``float(np.float32(x))``.)"""
    return _HELD.unpack(_HELD.pack(x))[0]


class Member(FixedAgent):
    """A member of the community, sitting on its own cell of the network space.

    Traits (fixed): ``activity`` (heavy-tailed propensity to visit and post), ``expertise``
    (ability to answer questions) and ``temper`` (proneness to trolling). State: ``satisfaction``
    (belonging, 0-1), ``engagement`` (0.05-3), ``exposure`` (a smoothed count of the toxic posts
    it has seen, which makes trolling feel normal), ``status`` (active, lapsed, left, removed),
    ``role`` (member, champion, troll, spammer), and the member's open threads.

    ``slot`` is the member's index (0, 1, 2... in order of arrival), the same in both engines.
    ``contacts`` is the member's contact list, in the order it met them: the members whose
    activity it sees. Contacts are mutual (each is in the other's list). The list has room for
    ``room`` more contacts; a member whose list is full makes room for a newcomer only in the place
    of one of its first ``REUSE_SCAN`` contacts who has left or been removed. The model keeps
    Mesa's network space in step with these lists.
    """

    def __init__(
        self,
        model: CommunityModel,
        slot: int,
        traits: tuple[float, float, float],
        *,
        role: str,
        joined: int,
        last_visit: int,
        room: int,
    ) -> None:
        super().__init__(model)
        self.slot = slot
        self.cell = model.space[slot]
        self.activity, self.expertise, self.temper = (held(t) for t in traits)
        self.satisfaction = held(model.p.members.initial_satisfaction)
        self.engagement = 1.0
        self.exposure = 0.0  # smoothed count of toxic posts seen
        self.status = ACTIVE
        self.role = role
        self.joined = joined  # day joined (negative for the members present at day 0)
        self.last_visit = last_visit
        self.posts = 0  # contributions: posts, questions, complaints, replies and answers
        self.toxic_posts = 0
        self.first_post = FP_NONE  # fate of the first post written during the run
        self.first_post_day: int | None = None
        self.second_post_day: int | None = None  # next contribution after the first post
        self.greeted = 0  # bits: GREETED_WELCOMED in its first week, GREETED_FOLLOWED after it
        self.question_day: int | None = None  # day the open question was asked
        self.complaint_day: int | None = None  # day the open complaint was made
        self.question_answered = False  # a peer answered the open question today
        self.complaint_answered = False  # a champion answered the open complaint today
        self.got_reply = False  # a contact replied today to what this member showed
        self.reported_today = False  # a reader reported today the toxic or spam post it showed
        self.reported_yesterday = False  # ... yesterday: moderation reviews the account today
        self.fed_today = False  # a reader replied today to the toxic post it showed
        self.fed_yesterday = False  # ... yesterday (a troll nobody fed may give up)
        self.raider = False  # arrived with a raid: posts into the raided space as well
        self.removed_day: int | None = None
        self.comeback_day: int | None = None  # a removed troll returns as a new account
        self.shown_yesterday = 0  # what contacts read today
        self.shown_today = 0  # what contacts will read tomorrow
        self.contacts: list[Member] = []
        self.room = room

    def __repr__(self) -> str:
        return f"Member(slot={self.slot}, {self.status}, {self.role}, satisfaction={self.satisfaction:.2f})"

    # --- helpers -------------------------------------------------------------------------------
    def chance(self, stream: int) -> float:
        """Today's uniform draw of this member for the decision ``stream`` (``layout.S_*``)."""
        return uniform(self.model.keys[stream], self.slot)

    def chance_about(self, stream: int, other: int) -> float:
        """Today's draw of this member for a decision about ``other`` (a member slot or counter)."""
        return uniform2(self.model.keys[stream], self.slot, other)

    def free_place(self) -> int | None:
        """Where the contact list can take a new contact: at its end while it has room, else in
        the place of one of its first ``REUSE_SCAN`` contacts who left or was removed."""
        if self.room > 0:
            return len(self.contacts)
        for k, contact in enumerate(self.contacts[:REUSE_SCAN]):
            if contact.status in (LEFT, REMOVED):
                return k
        return None

    def befriend(self, other: Member) -> bool:
        """Become mutual contacts with ``other`` if both lists can take one and they are not yet
        contacts. Returns True when the link was made."""
        if other in self.contacts:
            return False
        mine, theirs = self.free_place(), other.free_place()
        if mine is None or theirs is None:
            return False
        self._take(mine, other)
        other._take(theirs, self)
        self.model.connect(self, other)
        return True

    def _take(self, place: int, other: Member) -> None:
        """Put ``other`` at ``place`` of the contact list (replacing a contact who left)."""
        if place == len(self.contacts):
            self.contacts.append(other)
            self.room -= 1
        else:
            gone = self.contacts[place]
            self.contacts[place] = other
            self.model.disconnect(self, gone)

    @property
    def is_bad_actor(self) -> bool:
        """True for trolls and spammers."""
        return self.role in BAD_ACTORS

    # --- phase 1: the member's day -------------------------------------------------------------
    def act(self) -> None:
        """Phase 1: one day in the life of this member.

        Kernel: ``act.act_chunk`` (with its first pass, ``quiet.sort_batch``).
        """
        if self.status == ACTIVE:
            if self.faces_moderation():
                return
            if self.is_bad_actor:
                self.post_as_bad_actor()
            else:
                self.live_the_day()
        elif self.status == LAPSED:
            self.shown_today = 0
            self.stay_away_or_come_back()
        else:
            self.shown_today = 0

    def faces_moderation(self) -> bool:
        """Moderation reviews yesterday's toxic or spam post, and first the accounts members
        reported yesterday (a ban wave reviews every troll and spammer): an offender is removed
        (returns True), an ordinary member is warned (its temper falls).

        Kernel: ``act.act_chunk``, step 1.
        """
        p = self.model.p
        p_detect = self.detection_chance()
        if not (p_detect > 0.0 and self.chance(L.S_DETECT) < p_detect):
            return False
        tally = self.model.tally
        tally.handled += 1
        if self.is_bad_actor:
            self.remove_account()
            return True
        self.temper = held(
            _warned(self.temper, p.trolls.warning, p.trolls.warning_floor * p.members.temper_mean)
        )
        return False

    def detection_chance(self) -> float:
        """Today's chance that moderation catches this member (yesterday's toxic or spam post, an
        account reported yesterday; every troll and spammer during a ban wave)."""
        today = self.model.today
        offended = (self.shown_yesterday & (TOXIC | SPAM)) != 0
        p_detect = today.p_detect if offended else 0.0
        if self.reported_yesterday:
            p_detect = max(p_detect, today.p_reported)
        if self.raider and self.shown_yesterday & TOXIC and self.reported_in_raid():
            p_detect = max(p_detect, today.p_reported)  # reported in the raided space
        if self.shown_yesterday & HIDDEN:
            p_detect = 1.0  # removed the day it was posted: caught already
        if today.ban_wave > 0.0 and self.is_bad_actor:
            p_detect = max(p_detect, self.model.p.levers.detection)
        return p_detect

    def reported_in_raid(self) -> bool:
        """Whether this raider's post of yesterday was reported in the raided space (the readings a
        raid post had on average; kernel: ``raid.raider_reported``)."""
        return _raider_reported(self.model.keys[L.S_RAID2], self.slot, self.model.today.p_raid_reported)

    def fed_in_raid(self) -> bool:
        """Whether this raider's post of yesterday drew a reply in the raided space (kernel:
        ``raid.raider_fed``)."""
        return _raider_fed(self.model.keys[L.S_RAID2], self.slot, self.model.today.p_raid_fed)

    def post_as_bad_actor(self) -> None:
        """Trolls and spammers come every day and post what they post. A troll nobody replied to
        yesterday, and any spammer, may give up for good first; the platform's filter removes most
        spam before anyone sees it.

        Kernel: ``act.act_chunk``, step 2.
        """
        p, tally = self.model.p, self.model.tally
        if self.role == TROLL:
            p_give_up = 0.0 if self.fed_yesterday else p.trolls.give_up
            if self.raider and self.shown_yesterday & TOXIC and self.fed_in_raid():
                p_give_up = 0.0  # fed in the raided space
        else:
            p_give_up = p.spam.give_up
        if p_give_up > 0.0 and self.chance(L.S_GIVE_UP) < p_give_up:
            self.status = LEFT
            tally.churned += 1  # (churned counts every account that left)
            tally.gave_up += 1
            self.shown_today = 0
            return
        self.last_visit = self.model.day  # (not counted in dau/wau/mau, which count people)
        shown = 0
        if self.role == TROLL:
            tally.active_trolls += 1
            if self.chance(L.S_POST) < p.trolls.post_rate:
                if self.held_by_queue():
                    return
                shown = TOXIC
                if self.chance_about(L.S_DETECT, 1) < self.model.today.p_quick:
                    shown = HIDDEN  # removed the same day: nobody reads it
                tally.toxic_posts += 1
                tally.posts += 1
                tally.raid_posts += self.raider and shown == TOXIC
                self.toxic_posts += 1
                self.posts += 1
        else:
            tally.active_spammers += 1
            if self.chance(L.S_POST) < p.spam.post_rate:
                if self.chance(L.S_FILTER) < p.spam.filter:  # removed before anyone sees it
                    tally.spam_filtered += 1
                else:
                    if self.held_by_queue():
                        return
                    shown = SPAM
                    if self.chance_about(L.S_DETECT, 1) < self.model.today.p_quick:
                        shown = HIDDEN  # removed the same day: nobody reads it
                    tally.spam_posts += 1
                    tally.posts += 1
                    self.posts += 1
        self.shown_today = shown

    def held_by_queue(self) -> bool:
        """The approval queue for new accounts: a troll's or spammer's post, if the account joined
        during the run and has published nothing yet, goes through the queue with today's
        coverage; a held post is rejected (never published) and the account removed as a review
        removes it (returns True). Raiders pass it: their accounts are established elsewhere.

        Kernel: ``act.act_chunk``, step 2.
        """
        if not (self.posts == 0 and self.joined >= 0) or self.raider:
            return False
        tally = self.model.tally
        tally.new_account_posts += 1
        if not self.chance(L.S_QUEUE) < self.model.today.p_queue:
            return False
        tally.held_posts += 1
        tally.handled += 1
        self.remove_account()
        return True

    def remove_account(self) -> None:
        """Moderation removes this troll's or spammer's account (a review, or the approval queue);
        a troll comes back as a new account with chance ``trolls.comeback``, after an exponential
        wait with mean ``trolls.comeback_days``.

        Kernel: ``act.act_chunk``, steps 1 and 2.
        """
        p, tally = self.model.p, self.model.tally
        self.status = REMOVED
        self.removed_day = self.model.day
        tally.removals += 1
        if self.role == TROLL and self.chance_about(L.S_COMEBACK, 0) < p.trolls.comeback:
            wait = -p.trolls.comeback_days * math.log(1.0 - self.chance_about(L.S_COMEBACK, 1))
            self.comeback_day = self.model.day + 1 + int(wait)
        self.shown_today = 0

    def live_the_day(self) -> None:
        """An ordinary member's day: mood drifts, maybe a visit (read, reply, post), maybe leave.

        Kernel: ``act.act_chunk``, steps 3-7.
        """
        p, today = self.model.p, self.model.today
        # Satisfaction drifts back to its baseline (a product crisis knocks it), engagement to 1.
        s, g = self.satisfaction, self.engagement
        shock = 0.0
        if today.shock != 0.0:  # each member hit by its own share (kernel: quiet.member_shock)
            u = self.chance(L.S_SHOCK)
            shock = today.shock * (CRISIS_SPREAD * u * u)
        self.satisfaction = s + p.dynamics.reversion * (p.members.satisfaction_baseline - s) - shock
        self.engagement = g + p.dynamics.engagement_drift * (1.0 - g)
        # Toxicity seen in the past fades from memory (a visit adds what is seen today).
        x = (1.0 - NORM_SMOOTHING) * self.exposure
        self.exposure = x if x >= EXPOSURE_FLOOR else 0.0  # (a smaller one changes no draw)
        self.shown_today = 0
        if self.decides_to_visit():
            self.visit()
        self.satisfaction = min(max(self.satisfaction, 0.0), 1.0)
        self.engagement = min(max(self.engagement, 0.05), 3.0)
        self.leave_or_lapse()  # (on the day's values, before they are held)
        self.hold_moods()

    def hold_moods(self) -> None:
        """Round satisfaction, engagement and exposure to the precision they are held in.

        Kernel: ``act.act_chunk`` stores them in single precision (``layout.F_DTYPE``).
        """
        self.satisfaction = held(self.satisfaction)
        self.engagement = held(self.engagement)
        self.exposure = held(self.exposure)

    def decides_to_visit(self) -> bool:
        """Active, engaged and happy members visit more; reach, season and content add visits.

        Kernel: ``quiet.visits``.
        """
        return self.chance(L.S_VISIT) < self.visit_chance()

    def visit_chance(self) -> float:
        """Today's chance of a visit, from activity, engagement, mood and the day's reach."""
        p = self.model.p
        p_visit = p.members.visit_rate * self.activity * self.engagement
        p_visit = p_visit * (0.5 + max(self.satisfaction, 0.0)) * self.model.today.visit_mult
        return min(p_visit, MAX_VISIT)

    def visit(self) -> None:
        """Read the feed, reply and answer, feel what was read, maybe attend an event, write.

        Kernel: ``act.act_chunk``, steps 3-6 (a visit).
        """
        self.last_visit = self.model.day
        self.model.tally.visits += 1
        self.model.tally.expertise_sum += math.floor(self.expertise * FIXED_POINT)
        seen = self.read_feed()
        self.read_the_raid(seen)
        self.model.tally.peer_answers += seen["answers"]
        self.model.tally.reports += seen["reports"]
        self.feel(seen)
        self.maybe_attend_event()
        posted = self.write(seen["toxic"])
        self.count_contributions(seen["replies"], posted)

    def read_feed(self) -> dict[str, int]:
        """Read what each contact showed yesterday; reply to posts, answer questions.

        Returns counts of what was seen (``posts``, ``toxic``, ``spam``, ``complaints``), the
        number of ``replies`` written and, of those, the ``answers`` to questions, and the
        ``reports`` made (a toxic or spam post is reported with chance ``trolls.report_rate``). Replying to a troll ("feeding" it) sours the feeder twice.
        Only champions answer complaints.

        Kernel: ``act.act_chunk``, step 4.
        """
        p = self.model.p
        p_reply, p_reply_toxic, p_answer = self.reply_chances()
        champion = self.role == CHAMPION
        seen = {"posts": 0, "toxic": 0, "spam": 0, "complaints": 0, "replies": 0, "answers": 0, "reports": 0}
        for other in self.contacts:
            shown = other.shown_yesterday
            if shown == 0:
                continue
            if shown & TOXIC:
                seen["toxic"] += 1
                if self.chance_about(L.S_REPLY, other.slot) < p_reply_toxic:
                    seen["replies"] += 1
                    seen["toxic"] += 1  # feeding a troll sours the feeder twice
                    other.fed_today = True
            if shown & SPAM:
                seen["spam"] += 1
            if shown & (TOXIC | SPAM) and self.chance_about(L.S_REPORT, other.slot) < p.trolls.report_rate:
                seen["reports"] += 1  # reported: moderation reviews the account tomorrow
                other.reported_today = True
            if shown & (POSTED | FIRST_POST):
                seen["posts"] += 1
                if self.chance_about(L.S_REPLY, other.slot) < p_reply:
                    seen["replies"] += 1
                    other.got_reply = True
            if shown & QUESTION and self.chance_about(L.S_ANSWER, other.slot) < p_answer:
                seen["replies"] += 1
                seen["answers"] += 1
                other.question_answered = True
            if shown & COMPLAINT:
                seen["complaints"] += 1
                if champion and self.chance_about(L.S_CHAMP_ANSWER, other.slot) < p.dynamics.answer_rate:
                    seen["replies"] += 1
                    other.complaint_answered = True
        return seen

    def read_the_raid(self, seen: dict[str, int]) -> None:
        """A visitor of the raided space reads some of yesterday's raid posts (those not removed
        the day they were posted): like toxic posts of contacts, each may draw a reply (feeding
        the raid, souring the feeder twice) or a report. Adds to ``seen``.

        Kernel: ``act.act_chunk``, step 4b (``raid.py``).
        """
        model = self.model
        posts = model.today.raid_posts
        p = model.p
        if not (posts > 0.0 and _in_raided_space(model.raid_space_key, self.slot, p.raid.target_share)):
            return
        k = model.keys[L.S_RAID]
        n = _raid_reads(k, self.slot, posts, p.raid.read_share, p.raid.read_cap)
        model.tally.raid_reads += n
        p_reply_toxic = self.reply_chances()[1]
        for r in range(n):
            seen["toxic"] += 1
            if _raid_reply(k, self.slot, r, p_reply_toxic):
                seen["replies"] += 1
                seen["toxic"] += 1  # feeding a troll sours the feeder twice
            if _raid_report(k, self.slot, r, p.trolls.report_rate):
                seen["reports"] += 1

    def reply_chances(self) -> tuple[float, float, float]:
        """Chances of replying to a post, of replying to a toxic post and of answering a question."""
        p = self.model.p
        p_reply = min(1.0, p.dynamics.reply_rate * math.sqrt(self.activity))
        return p_reply, min(1.0, p_reply * p.trolls.reply_draw), p.dynamics.answer_rate * self.expertise

    def feel(self, seen: dict[str, int]) -> None:
        """Good posts and the manager's content please; toxicity, spam and complaints sour.

        The toxic posts seen also add to the member's ``exposure``: toxicity one keeps seeing
        comes to feel normal.

        Kernel: ``act.act_chunk``, step 5.
        """
        d, lv = self.model.p.dynamics, self.model.p.levers
        s = self.satisfaction
        s += d.content_joy * min(seen["posts"], 10) + lv.content_joy * self.model.today.content
        s -= d.toxic_harm * seen["toxic"] + d.spam_harm * seen["spam"]
        s -= d.complaint_harm * seen["complaints"]
        self.satisfaction = s
        self.exposure += NORM_SMOOTHING * seen["toxic"]

    def maybe_attend_event(self) -> None:
        """The manager's events (or an AMA) boost the engagement and mood of those who attend.

        Kernel: ``act.act_chunk``, step 5.
        """
        p_event = self.model.today.p_event
        if p_event > 0.0 and self.chance(L.S_EVENT) < p_event:
            boost = self.model.p.levers.event_boost
            self.engagement += boost
            self.satisfaction += EVENT_SAT * boost

    def write(self, toxic_seen: int) -> bool:
        """Complain if unhappy, else maybe post: something toxic, a question or a post.

        The chance of a toxic post grows with temper, with a bad mood, with toxicity seen today
        (trolling is contagious) and with the member's exposure to toxicity (it becomes the norm);
        some who troll become trolls. Returns True when the member wrote something.

        Kernel: ``act.act_chunk``, step 6.
        """
        p, today, tally, day = self.model.p, self.model.today, self.model.tally, self.model.day
        s = self.satisfaction
        if (
            self.complaint_day is None
            and s < p.dynamics.complaint_threshold
            and self.chance(L.S_COMPLAIN) < p.dynamics.complaint_rate * today.complaint_mult
        ):
            self.complaint_day = day
            self.complaint_answered = False
            tally.complaints += 1
            return True
        if not self.chance(L.S_POST) < p.members.post_rate * self.activity * self.engagement:
            return False
        if self.chance(L.S_TOXIC) < self.toxic_chance(toxic_seen):
            # the moderator watching may remove it the same day, before anyone reads it
            self.shown_today |= HIDDEN if self.chance_about(L.S_DETECT, 1) < today.p_quick else TOXIC
            tally.toxic_posts += 1
            tally.toxic_posts_members += 1
            self.toxic_posts += 1
            if self.chance(L.S_CONVERT) < p.trolls.conversion:
                self.role = TROLL
        elif self.question_day is None and self.chance(L.S_KIND) < p.members.question_share:
            self.question_day = day
            self.question_answered = False
            tally.questions += 1
        else:
            self.shown_today |= POSTED
        return True

    def toxic_chance(self, toxic_seen: int) -> float:
        """The chance that a post is toxic: temper, a bad mood, toxicity seen today, exposure, and
        the norms the moderators make visible."""
        p = self.model.p
        p_toxic = p.trolls.base_rate * self.temper / max(p.members.temper_mean, 1e-9)
        if self.satisfaction < p.trolls.mood_threshold:
            p_toxic *= p.trolls.mood_boost
        if toxic_seen > 0:
            p_toxic *= p.trolls.context_boost
        return p_toxic * (1.0 + p.trolls.norm_gain * self.exposure) * (1.0 - self.model.today.norm)

    def count_contributions(self, replies: int, posted: bool) -> None:
        """Count today's writing; note a newcomer's first post and whether it posts again.

        Kernel: ``act.act_chunk``, step 6.
        """
        tally, day = self.model.tally, self.model.day
        if posted:
            tally.posts += 1
            if self.posts == 0 and self.joined >= 0:
                tally.new_account_posts += 1  # the approval queue's load (it approves the post)
            if self.first_post_day is None and self.joined >= 0:
                self.first_post_day = day
                self.first_post = FP_OPEN
                tally.first_posts += 1
        tally.replies += replies
        n = replies + (1 if posted else 0)
        if n > 0:
            self.posts += n
            fp = self.first_post_day
            if fp is not None and fp < day and self.second_post_day is None:
                self.second_post_day = day

    def leave_or_lapse(self) -> None:
        """Leave for good (unhappy members leave sooner), or lapse after a long absence.

        Kernel: ``act.act_chunk``, step 7 (``quiet.leaves``).
        """
        p, day = self.model.p, self.model.day
        if self.chance(L.S_CHURN) < self.leave_chance():
            self.status = LEFT
            self.model.tally.churned += 1
        elif day - self.last_visit >= p.dynamics.lapse_days:
            self.status = LAPSED

    def leave_chance(self) -> float:
        """Today's chance of leaving for good: a base rate, more for unhappy members."""
        p = self.model.p
        unhappy = (1.0 - self.satisfaction) * (1.0 - self.satisfaction)
        return (p.dynamics.churn_base + p.dynamics.churn_unhappy * unhappy) * self.model.today.churn_mult

    def stay_away_or_come_back(self) -> None:
        """A lapsed member may leave for good; every contact who posted yesterday may bring it back.

        Kernel: ``act.act_chunk``, the lapsed member's branch.
        """
        p, tally = self.model.p, self.model.tally
        if self.chance(L.S_LAPSED) < p.dynamics.lapsed_leave * self.model.today.churn_mult:
            self.status = LEFT
            tally.churned += 1
            return
        n_active = sum(1 for c in self.contacts if c.shown_yesterday & (POSTED | FIRST_POST | QUESTION))
        if n_active > 0:
            p_back = 1.0 - int_power(1.0 - p.dynamics.reengagement, n_active)
            if self.chance(L.S_REENGAGE) < p_back:
                self.status = ACTIVE
                self.last_visit = self.model.day
                self.engagement = 1.0
                tally.reengaged += 1

    # --- phase 2: threads resolve ----------------------------------------------------------------
    def resolve(self) -> None:
        """Phase 2: open threads get answers or expire; welcome, outreach and the day's counts.

        Kernel: ``resolve.resolve_chunk`` (``resolve._resolve``).
        """
        tally, day = self.model.tally, self.model.day
        if self.comeback_day == day:
            tally.comebacks += 1
        if not self.is_bad_actor:  # wau and mau count people, not troll or spammer accounts
            if self.last_visit >= day - 6:
                tally.wau += 1
            if self.last_visit >= day - 29:
                tally.mau += 1
        if self.joined >= 0 and not self.is_bad_actor and day - self.joined in (30, 60, 90):
            # Newcomer retention: still active and seen in the last week of the first 30, 60 or 90 days.
            days = day - self.joined
            setattr(tally, f"newcomers_due_{days}d", getattr(tally, f"newcomers_due_{days}d") + 1)
            if self.status == ACTIVE and self.last_visit >= day - 7:
                name = f"newcomers_retained_{days}d"
                setattr(tally, name, getattr(tally, name) + 1)
        self.resolve_question()
        self.resolve_complaint()
        if self.status != ACTIVE:
            self.got_reply = False
            if self.status == LAPSED:
                tally.lapsed += 1
            return
        g = self.greet_newcomer(self.engagement)
        self.got_reply = False
        if not self.is_bad_actor:
            g = self.reach_out_if_at_risk(g)
            if self.role == MEMBER and self.posts >= self.model.p.dynamics.champion_posts:
                self.role = CHAMPION
            self.engagement = min(max(g, 0.05), 3.0)
            tally.ordinary += 1
            # summed in whole multiples of 2**-24, exactly as the fast engine does
            tally.satisfaction_sum += math.floor(self.satisfaction * FIXED_POINT)
            tally.engagement_sum += math.floor(self.engagement * FIXED_POINT)
            if self.satisfaction >= self.model.p.members.satisfaction_baseline:
                tally.satisfied += 1
            # (the day's counts are of the values before they are held; exposure is unchanged)
            self.satisfaction = held(self.satisfaction)
            self.engagement = held(self.engagement)
        else:
            tally.bad_accounts += 1
        tally.active += 1

    def resolve_question(self) -> None:
        """A question is answered by a peer today or by the manager, or expires, or stays open.

        Kernel: ``resolve._resolve``, "Questions".
        """
        qd = self.question_day
        if qd is None:
            return
        tally, day = self.model.tally, self.model.day
        today = self.model.today
        # Peers first: a contact who answered today or, on the day it is asked, readers of the
        # front page (the question's own draws, sub-streams 2 and 3 of the manager's); the manager
        # answers what they leave after `levers.responding_wait` days, or earlier with capacity the
        # waiting questions leave (sub-stream 4).
        peer = self.question_answered
        if (
            not peer
            and qd == day
            and today.p_front > 0.0
            and self.chance_about(L.S_MGR_ANSWER, 2) < today.p_front
        ):
            peer = True
            n_front = _front_answers(today.front_lambda, self.chance_about(L.S_MGR_ANSWER, 3))
            tally.peer_answers += n_front
            tally.replies += n_front
        mine = day - qd >= self.model.p.levers.responding_wait  # the manager's to answer (its load)
        tally.pending += mine
        if peer or (
            self.chance_about(L.S_MGR_ANSWER, 0) < today.p_manager
            if mine
            else self.chance_about(L.S_MGR_ANSWER, 4) < today.p_manager_now
        ):
            tally.questions_answered += 1
            tally.questions_answered_peer += peer  # the first answer was a peer's
            tally.response_days_sum += day - qd
            self.model.response_days[min(day - qd, L.MAX_OPEN_DAYS)] += 1.0
            if self.first_post == FP_OPEN and self.first_post_day == qd:
                self.got_reply = True  # the first post was this question
            self.question_day = None
            self.question_answered = False
        elif day - qd >= self.model.p.dynamics.open_days or self.status != ACTIVE:
            tally.questions_expired += 1
            self.question_day = None
        else:
            self.shown_today |= QUESTION

    def resolve_complaint(self) -> None:
        """A champion or the manager answers a complaint; an empathetic answer turns many around.

        Kernel: ``resolve._resolve``, "Complaints".
        """
        cd = self.complaint_day
        if cd is None:
            return
        p, tally, day = self.model.p, self.model.tally, self.model.day
        tally.pending += 1
        peer = self.complaint_answered
        if peer or self.chance_about(L.S_MGR_ANSWER, 1) < self.model.today.p_manager:
            tally.complaints_answered += 1
            if not peer:
                tally.handled += 1
            # (a timely answer turns more around: the chance falls with each day waited)
            turn = p.dynamics.turnaround * int_power(p.dynamics.recovery_decay, day - cd)
            if self.chance(L.S_TURNAROUND) < turn:
                self.satisfaction = max(self.satisfaction, p.members.satisfaction_baseline)
            self.complaint_day = None
            self.complaint_answered = False
        elif day - cd >= p.dynamics.open_days or self.status != ACTIVE:
            self.complaint_day = None
        else:
            self.shown_today |= COMPLAINT

    def greet_newcomer(self, g: float) -> float:
        """A reply to the first post, or a welcome, keeps a newcomer; silence chills it.

        Returns the engagement ``g`` after the greeting (or the chill).

        Kernel: ``resolve._resolve``, "Newcomers".
        """
        p, today, tally, day = self.model.p, self.model.today, self.model.tally, self.model.day
        if day - self.joined < p.dynamics.newcomer_days and not self.is_bad_actor:
            tally.newcomers += 1
            if self.greeted == 0 and day - self.joined < WELCOME_DAYS:  # its first week, visiting or not
                tally.unwelcomed_visitors += 1
                if self.chance(L.S_WELCOME) < today.p_welcome:
                    tally.welcomed += 1
                    self.greeted = L.GREETED_WELCOMED
                    g *= p.levers.welcome_boost
            elif not self.greeted & L.GREETED_FOLLOWED and day - self.joined > WELCOME_DAYS:
                # past its first week: the manager's spare welcoming hours follow up
                tally.follow_ups_due += 1
                if today.p_follow_up > 0.0 and self.chance(L.S_FOLLOW_UP) < today.p_follow_up:
                    tally.follow_ups += 1
                    self.greeted |= L.GREETED_FOLLOWED
                    g *= p.levers.follow_up_boost
        if self.first_post == FP_OPEN:
            # the manager's welcoming hours reply to a first post members left (sub-stream 1)
            if self.got_reply or (
                today.p_first_reply > 0.0 and self.chance_about(L.S_WELCOME, 1) < today.p_first_reply
            ):
                self.first_post = FP_REPLIED
                tally.first_posts_replied += 1
                g *= p.dynamics.reply_welcome
            elif day - self.first_post_day >= p.dynamics.open_days:
                self.first_post = FP_UNANSWERED
                tally.first_posts_unanswered += 1
                g *= p.dynamics.no_reply_chill
            else:
                tally.first_posts_open += 1
                self.shown_today |= FIRST_POST
        return g

    def reach_out_if_at_risk(self, g: float) -> float:
        """Spare welcoming hours reach members at risk (unhappy or long absent); analytics finds
        them. Returns the engagement after outreach.

        Kernel: ``resolve._resolve``, "Outreach".
        """
        p, today, tally, day = self.model.p, self.model.today, self.model.tally, self.model.day
        s = self.satisfaction
        if s < p.trolls.mood_threshold or day - self.last_visit >= 0.5 * p.dynamics.lapse_days:
            tally.at_risk += 1
            if self.chance(L.S_OUTREACH) < today.p_outreach:
                tally.outreach += 1
                base = p.members.satisfaction_baseline
                if s < base:
                    self.satisfaction = s + p.levers.outreach_lift * (base - s)
                g = max(g, 1.0)
        return g
