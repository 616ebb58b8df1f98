"""Raids that reach a community (compiled): the raided space, what its visitors read, and what
comes back to the raiders. See ``docs/model.md``, "Raids".

Trolls who arrive with a ``troll_raid`` event are *raiders* (``layout.B_RAIDER``). Besides the
contacts every account has, a raider posts into a raided space (a sub-forum, the threads the raid
targets): a share ``raid.target_share`` of the members, each in it or not by its own draw
(stream ``S_RAID``, day -1: the same members for the whole run, in both engines). A raider's toxic
post that moderation did not remove the day it was posted is read the next day by the visitors
of the raided space: each reads about ``raid.read_share`` of those posts (its own draw), at most
``raid.read_cap``, counted like the toxic posts its contacts showed (harm, exposure, contagion),
and each one read may draw a reply (the raid is fed) or a report. The raiders learn the next day
how many readings, replies and reports a post of theirs had on average (``layout.M_RAID_READS``):
a raider whose post was read is fed (it does not give up) and may have been reported (moderation
reviews it first) with the chances :func:`raider_chances` gives.

The Mesa engine calls these functions' Python versions (``.py_func``): one formula for both.
"""

from __future__ import annotations

import numpy as np

from cmsim._kernels import layout as L
from cmsim._kernels import njit
from cmsim._kernels.rng import key, uniform, uniform2


@njit(cache=True)
def in_raided_space(k_space, i, share):
    """Whether member ``i`` is in the raided space (``k_space``: stream ``S_RAID``, day -1)."""
    return share > 0.0 and uniform(k_space, i) < share


@njit(cache=True)
def raided_space(seed, n, share):
    """Which of members ``0..n-1`` of a run with ``seed`` are in the raided space (a bool array)."""
    k_space = key(seed, L.S_RAID, -1)
    inside = np.zeros(n, np.bool_)
    for i in range(n):
        inside[i] = in_raided_space(k_space, i, share)
    return inside


@njit(cache=True)
def raid_reads(k_raid, i, posts, read_share, cap):
    """How many of yesterday's ``posts`` raid posts visitor ``i`` of the raided space reads today:
    ``posts * read_share`` rounded up or down at random (its draw 0 of ``k_raid``: stream
    ``S_RAID``, today), at most ``cap``; 0 when no raid post is left to read."""
    if posts <= 0.0:
        return 0
    n = int(posts * read_share + uniform2(k_raid, i, 0))
    return min(n, int(cap))


@njit(cache=True)
def raid_reply(k_raid, i, r, p_reply_toxic):
    """Whether visitor ``i`` replies to the ``r``-th raid post it reads today (feeding the raid)."""
    return uniform2(k_raid, i, 2 * r + 1) < p_reply_toxic


@njit(cache=True)
def raid_report(k_raid, i, r, report_rate):
    """Whether visitor ``i`` reports the ``r``-th raid post it reads today."""
    return uniform2(k_raid, i, 2 * r + 2) < report_rate


@njit(cache=True)
def raider_chances(P, readings):
    """Chances that a raider's post read ``readings`` times (on average) in the raided space was
    reported at least once and drew at least one reply: ``1 - (1 - rate) ** readings`` with
    ``trolls.report_rate`` and the reply chance of a reader of median activity
    (``dynamics.reply_rate * trolls.reply_draw``, at most 1). Returns ``(reported, fed)``."""
    if readings <= 0.0:
        return 0.0, 0.0
    p_reply = min(1.0, P[L.P_REPLY_RATE] * P[L.P_REPLY_DRAW])
    reported = 1.0 - (1.0 - P[L.P_REPORT_RATE]) ** readings
    fed = 1.0 - (1.0 - p_reply) ** readings
    return reported, fed


@njit(cache=True)
def raider_reported(k_raider, i, p_reported):
    """Whether raider ``i``'s post in the raided space was reported (its draw 0 of ``k_raider``:
    stream ``S_RAID2``, today): moderation reviews it first today."""
    return p_reported > 0.0 and uniform2(k_raider, i, 0) < p_reported


@njit(cache=True)
def raider_fed(k_raider, i, p_fed):
    """Whether raider ``i``'s post in the raided space drew a reply (its draw 1): it does not give
    up today."""
    return p_fed > 0.0 and uniform2(k_raider, i, 1) < p_fed
