"""Names shared by the compiled phases: structural constants, per-chunk tallies and day scalars.

``part[c, K_*]`` holds chunk ``c``'s tallies of the day; ``Z[Z_*]`` the day's lever effects, event
factors and reach. Structural constants are fixed parts of the model (``docs/model.md``,
"Structural constants"), not parameters.
"""

from __future__ import annotations

from cmsim._kernels import layout as L

# Structural constants (documented in docs/model.md, "Structural constants").
LEARN_SOFTEN = 0.7  # share of an algorithm shock that full know-how absorbs
LEARN_SPEED = 0.5  # share of the recovery time that full know-how saves
# A product crisis hits member i by shock * CRISIS_SPREAD * u**2 (u its uniform draw): the mean hit
# is the scenario's shock, the median 0.75 of it, one member in ten more than 2.4 times it.
CRISIS_SPREAD = 3.0
NORM_SMOOTHING = 0.1  # weight of today's toxic posts seen in a member's exposure
# An exposure that fades below this is 0: it changes no draw (1 + norm_gain * exposure is exactly 1
# in double precision for any gain up to its bound of 1,000), and it keeps single-precision
# subnormal numbers, slow on some CPUs, out of the member arrays (about 830 days after a last
# toxic post seen).
EXPOSURE_FLOOR = 1e-30
MAX_VISIT = 0.95  # no member visits with certainty
FRIEND_OF_FRIEND = 0.5  # chance a newcomer's link goes to a contact of the member it found
EVENT_SAT = 0.5  # satisfaction an attendee gains, as a share of the engagement boost
FIXED_POINT = 16777216.0  # 2**24: satisfaction and engagement are summed as whole multiples of 2**-24
REUSE_SCAN = 64  # contacts of a full row looked through for one who left, to make room
FIRST_REPLY_COST = 2.0  # a reply to a newcomer's first post takes the time of two greetings
WELCOME_DAYS = 7  # the manager greets a newcomer in its first week (visiting or not), not later
# The manager follows up with a newcomer after its first week (day WELCOME_DAYS + 1 on) until it
# stops being a newcomer; a follow-up takes the time of one greeting.
FOLLOW_UP_COST = 1.0

# --- the day's counts: part[c, K_*] ---------------------------------------------------------------
#: The day's counts (tallies), named once, in the order of their slots ``part[c, K_*]``. The Mesa
#: engine's :class:`~cmsim.mesa.manager.Tally` has one attribute of the same name for each (but
#: :data:`KERNEL_ONLY`); a count named like an output column (``layout.OUT_COLUMNS``) is reported
#: in that column as it is (:data:`COPY_K`, :data:`COPY_O`), in both engines.
TALLIES: tuple[str, ...] = (
    "visits",
    "posts",
    "replies",
    "questions",
    "questions_answered",
    "questions_expired",
    "complaints",
    "complaints_answered",
    "toxic_posts",
    "toxic_posts_members",
    "spam_posts",
    "active_trolls",
    "active_spammers",
    "removals",
    "churned",
    "reengaged",
    "newcomers",
    "first_posts",
    "first_posts_replied",
    "first_posts_unanswered",
    "welcomed",
    "outreach",
    "satisfaction_sum",
    "engagement_sum",
    "ordinary",
    "active",
    "lapsed",
    "wau",
    "mau",
    "response_days_sum",
    "unwelcomed_visitors",
    "at_risk",
    "satisfied",
    "handled",
    "newcomers_due_30d",
    "newcomers_retained_30d",
    "comebacks",
    "pending",
    "bad_accounts",
    "sat_floor",  # ordinary active members satisfied after phase 1 (phase 2 only raises s)
    "early_joins",  # member newcomers who joined during phase 2 (set in tot, not part)
    "newcomers_due_60d",
    "newcomers_retained_60d",
    "newcomers_due_90d",
    "newcomers_retained_90d",
    "questions_answered_peer",  # questions whose first answer came from a peer
    "peer_answers",  # answers peers gave to questions (every answer, not only the first)
    "expertise_sum",  # visitors' expertise, summed in whole multiples of 2**-24
    "reports",  # reports readers made of toxic or spam posts
    "reported_accounts",  # active accounts reported today (set in phase 2)
    "spam_filtered",  # spam posts the platform's filter removed before anyone saw them
    "gave_up",  # troll and spammer accounts that gave up
    "first_posts_open",  # newcomers' first posts still open, waiting for a reply
    "follow_ups_due",  # active newcomers past their first week not yet followed up (welcoming's load)
    "follow_ups",  # newcomers the manager followed up with today
    "raid_posts",  # raiders' toxic posts not removed the same day (read in the raided space tomorrow)
    "raid_reads",  # raiders' posts read by visitors of the raided space
    "held_posts",  # new trolls' and spammers' posts the approval queue held and rejected
    "new_account_posts",  # posts by accounts with no published contribution yet (the queue's load)
)
#: Tallies only the compiled runner keeps (its bookkeeping for the parallel phases).
KERNEL_ONLY: tuple[str, ...] = ("sat_floor", "early_joins", "reported_accounts")


def _k(name: str) -> int:
    return TALLIES.index(name)


# The slots by name (plain int constants: numba compiles them in).
K_VISITS = _k("visits")
K_POSTS = _k("posts")
K_REPLIES = _k("replies")
K_QUESTIONS = _k("questions")
K_Q_ANS = _k("questions_answered")
K_Q_EXP = _k("questions_expired")
K_COMPL = _k("complaints")
K_C_ANS = _k("complaints_answered")
K_TOXIC = _k("toxic_posts")
K_TOXIC_MEM = _k("toxic_posts_members")
K_SPAM = _k("spam_posts")
K_TROLLS = _k("active_trolls")
K_SPAMMERS = _k("active_spammers")
K_REMOVALS = _k("removals")
K_CHURNED = _k("churned")
K_REENGAGED = _k("reengaged")
K_NEWCOMERS = _k("newcomers")
K_FIRST = _k("first_posts")
K_FIRST_REPL = _k("first_posts_replied")
K_FIRST_UNANS = _k("first_posts_unanswered")
K_WELCOMED = _k("welcomed")
K_OUTREACH = _k("outreach")
K_SAT = _k("satisfaction_sum")
K_ENG = _k("engagement_sum")
K_ORDINARY = _k("ordinary")
K_ACTIVE = _k("active")
K_LAPSED = _k("lapsed")
K_WAU = _k("wau")
K_MAU = _k("mau")
K_RESP_SUM = _k("response_days_sum")
K_LOAD_NEW = _k("unwelcomed_visitors")
K_AT_RISK = _k("at_risk")
K_SATISFIED = _k("satisfied")
K_HANDLED = _k("handled")
K_DUE30 = _k("newcomers_due_30d")
K_RET30 = _k("newcomers_retained_30d")
K_COMEBACKS = _k("comebacks")
K_PENDING = _k("pending")
K_BAD = _k("bad_accounts")
K_SAT_FLOOR = _k("sat_floor")
K_EARLY_JOINS = _k("early_joins")
K_DUE60 = _k("newcomers_due_60d")
K_RET60 = _k("newcomers_retained_60d")
K_DUE90 = _k("newcomers_due_90d")
K_RET90 = _k("newcomers_retained_90d")
K_Q_PEER = _k("questions_answered_peer")
K_PEER_ANS = _k("peer_answers")
K_EXPERTISE = _k("expertise_sum")
K_REPORTS = _k("reports")
K_REPORTED = _k("reported_accounts")
K_SPAM_FILTERED = _k("spam_filtered")
K_GAVE_UP = _k("gave_up")
K_FP_OPEN = _k("first_posts_open")
K_FOLLOW_DUE = _k("follow_ups_due")
K_FOLLOW_UPS = _k("follow_ups")
K_RAID_POSTS = _k("raid_posts")
K_RAID_READS = _k("raid_reads")
K_HELD = _k("held_posts")
K_NEW_POSTS = _k("new_account_posts")
K_HIST = len(TALLIES)  # then the response-day histogram, days 0..MAX_OPEN_DAYS
N_K = K_HIST + L.MAX_OPEN_DAYS + 1
#: Tallies reported as they are: ``OUT[d, COPY_O[j]] = tot[COPY_K[j]]`` (same name).
COPY_K: tuple[int, ...] = tuple(_k(c) for c in TALLIES if c in L.OUT_COLUMNS)
COPY_O: tuple[int, ...] = tuple(L.OUT_COLUMNS.index(c) for c in TALLIES if c in L.OUT_COLUMNS)

# Day scalars shared by the parallel phases: Z[Z_*].
Z_P_DETECT = 0
Z_BAN = 1
Z_P_MGR = 2
Z_CONTENT = 3
Z_P_WELCOME = 4
Z_P_OUTREACH = 5
Z_P_EVENT = 6
Z_VISIT_MULT = 7
Z_COMPLAINT_MULT = 8
Z_SHOCK = 9
Z_CHURN_MULT = 10
Z_E = 11
Z_REACH = 12
Z_P_FRONT = 13  # chance an open question is answered from the front page today
Z_FRONT_LAMBDA = 14  # front-page answers an open question gets today, on average
Z_P_REPORTED = 15  # chance a reported account is caught (reviewed first)
Z_P_QUICK = 16  # chance an offending post is removed the day it is posted, before anyone reads it
Z_P_MGR_NOW = 17  # chance the manager answers a question peers left, on the day it is asked
Z_P_FP_REPLY = 18  # chance the manager replies today to a newcomer's open first post
Z_RAID_POSTS = 19  # raiders' posts of yesterday that visitors of the raided space read from today
Z_RAID_READS = 20  # readings a raider's post of the day before yesterday had (raid.raider_chances)
Z_NORM = 21  # norm visibility: share of members' toxic posts that visible moderation prevents today
Z_P_FOLLOW_UP = 22  # chance the manager follows up today with a newcomer due a follow-up
Z_P_QUEUE = 23  # chance a new account's post goes through the approval queue today
N_Z = 24
