"""Names of the slots in the packed arrays shared by the kernels and their Python callers.

Numba treats these module-level integers as compile-time constants.

Arrays
------
``P`` : float64[N_PARAMS]
    Scenario parameters, in the order of :data:`P_KEYS` (dotted keys of ``cmsim.parameters``).
``TL`` : float64[days, N_TL]
    The timeline: one row a day of event and intervention strengths (columns ``TL_*``).
``M`` : float64[N_M]
    Manager (team) state carried from day to day (``M_*``).
``H`` : float64[8]
    Hours per lever this week, for the whole team, in the order of ``cmsim.parameters.LEVERS``.
``OUT`` : float64[days, N_OUT]
    One row a day of metrics (``O_*``), named by :data:`OUT_COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

# --- member status (int8) -------------------------------------------------------------------
EMPTY = 0  # slot not yet used by any member
ACTIVE = 1
LAPSED = 2  # stopped visiting; may be re-engaged
LEFT = 3  # churned for good
REMOVED = 4  # removed by moderation

# --- member role (int8) ---------------------------------------------------------------------
MEMBER = 0
CHAMPION = 1
TROLL = 2
SPAMMER = 3

# --- what a member shows its neighbours (bits of the uint8 `act` arrays) ----------------------
A_POSTED = 1  # posted an ordinary post today (visible tomorrow)
A_TOXIC = 2  # posted something toxic today
A_SPAM = 4  # posted spam today
A_QUESTION = 8  # has an open, unanswered question
A_COMPLAINT = 16  # has an open, unanswered complaint
A_FIRST = 32  # has an open first post (a newcomer's thread still waiting for a reply)
A_HIDDEN = 64  # posted something toxic or spam today that moderation removed before anyone read it

# --- first-post state (int8) ----------------------------------------------------------------
FP_NONE = 0
FP_OPEN = 1
FP_REPLIED = 2
FP_UNANSWERED = 3
# B_GREETED bits: welcomed in its first week; followed up after it (a newcomer may get either).
GREETED_WELCOMED = 1
GREETED_FOLLOWED = 2

# --- random streams: one per decision, so a strategy change moves only what it should ---------
S_TRAIT_ACTIVITY = 1
S_TRAIT_ACTIVITY2 = 2
S_TRAIT_EXPERT = 3
S_TRAIT_EXPERT2 = 4
S_TRAIT_TEMPER = 5
S_TRAIT_ROLE = 6
S_HISTORY = 7  # the steady start: an initial member's past (members.initial_member)
S_VISIT = 10
S_REPLY = 11
S_ANSWER = 12
S_POST = 13
S_TOXIC = 14
S_KIND = 15
S_COMPLAIN = 16
S_CONVERT = 17
S_CHURN = 18
S_LAPSED = 19
S_REENGAGE = 20
S_DETECT = 21
S_MGR_ANSWER = 22
S_TURNAROUND = 23
S_WELCOME = 24
S_OUTREACH = 25
S_EVENT = 26
S_COMEBACK = 27
S_JOINS = 28
S_ATTACH = 29
S_QUIT = 30
S_CHAMP_ANSWER = 31
S_REPORT = 32
S_FILTER = 33
S_GIVE_UP = 34
S_SHOCK = 35  # how hard a product crisis hits each member (quiet.member_shock)
S_FOLLOW_UP = 38  # the manager's follow-up with a newcomer after its first week
S_RAID = 36  # the raided space: who is in it (day -1), what its visitors read of the raid (raid.py)
S_RAID2 = 37  # a raider's own draws: its post was reported, or replied to, in the raided space
S_QUEUE = 39  # the approval queue holds a new account's post (act.act_chunk, step 2)
S_GRAPH = 40

# --- packed parameters: P[i] holds the parameter P_KEYS[i] ------------------------------------
P_KEYS: tuple[str, ...] = (
    "community.initial_members",
    "community.membership_given",
    "graph.attach",
    "members.activity_sigma",
    "members.visit_rate",
    "members.post_rate",
    "members.question_share",
    "members.expert_share",
    "members.temper_mean",
    "members.initial_satisfaction",
    "members.satisfaction_baseline",
    "dynamics.reply_rate",
    "dynamics.answer_rate",
    "dynamics.content_joy",
    "dynamics.toxic_harm",
    "dynamics.spam_harm",
    "dynamics.complaint_harm",
    "dynamics.complaint_threshold",
    "dynamics.complaint_rate",
    "dynamics.turnaround",
    "dynamics.recovery_decay",
    "dynamics.reversion",
    "dynamics.engagement_drift",
    "dynamics.churn_base",
    "dynamics.churn_unhappy",
    "dynamics.lapse_days",
    "dynamics.lapsed_leave",
    "dynamics.reengagement",
    "dynamics.newcomer_days",
    "dynamics.reply_welcome",
    "dynamics.no_reply_chill",
    "dynamics.champion_posts",
    "dynamics.open_days",
    "growth.acquisition",
    "growth.word_of_mouth",
    "trolls.initial_share",
    "trolls.arrival_rate",
    "trolls.post_rate",
    "trolls.base_rate",
    "trolls.mood_boost",
    "trolls.context_boost",
    "trolls.mood_threshold",
    "trolls.norm_gain",
    "trolls.conversion",
    "trolls.warning",
    "trolls.comeback",
    "trolls.comeback_days",
    "trolls.reply_draw",
    "spam.initial_share",
    "spam.arrival_rate",
    "spam.post_rate",
    "manager.count",
    "manager.sustainable_hours",
    "manager.overwork_stress",
    "manager.toxicity_stress",
    "manager.recovery",
    "manager.self_care_recovery",
    "manager.burnout_threshold",
    "manager.recover_threshold",
    "manager.burnout_effectiveness",
    "manager.quit_rate",
    "manager.vacancy_days",
    "manager.initial_stress",
    "levers.moderation_rate",
    "levers.moderation_scale",
    "levers.detection",
    "levers.responding_rate",
    "levers.responding_scale",
    "levers.content_joy",
    "levers.content_visits",
    "levers.content_scale",
    "levers.welcome_rate",
    "levers.welcome_boost",
    "levers.welcoming_scale",
    "levers.outreach_rate",
    "levers.outreach_lift",
    "dynamics.front_page",
    "levers.responding_wait",
    "levers.event_boost",
    "levers.event_reach",
    "levers.events_scale",
    "levers.analytics_gain",
    "levers.analytics_scale",
    "levers.learning_scale",
    "levers.learning_rate",
    "levers.self_care_scale",
    "platform.reach",
    "platform.recovery_days",
    "trolls.report_rate",
    "trolls.give_up",
    "spam.give_up",
    "spam.filter",
    "levers.quick_review_scale",
    "levers.norm_max",
    "levers.norm_scale",
    "levers.follow_up_boost",
    "raid.target_share",
    "raid.read_share",
    "raid.read_cap",
    "trolls.warning_floor",
    "levers.queue_cost",
)
N_PARAMS = len(P_KEYS)
#: Parameters on the satisfaction scale that members' satisfaction (held as ``F_DTYPE``) starts
#: at, drifts to or is compared with: packed rounded to ``F_DTYPE``, so that a member who sits at
#: its baseline sits exactly on it, as it would in double precision (``simulation.pack_params``).
SAT_LEVEL_KEYS: tuple[str, ...] = (
    "members.initial_satisfaction",
    "members.satisfaction_baseline",
    "dynamics.complaint_threshold",
    "trolls.mood_threshold",
)
(
    P_INITIAL_MEMBERS,
    P_MEMBERSHIP_GIVEN,
    P_ATTACH,
    P_ACTIVITY_SIGMA,
    P_VISIT_RATE,
    P_POST_RATE,
    P_QUESTION_SHARE,
    P_EXPERT_SHARE,
    P_TEMPER_MEAN,
    P_INITIAL_SAT,
    P_SAT_BASELINE,
    P_REPLY_RATE,
    P_ANSWER_RATE,
    P_CONTENT_JOY,
    P_TOXIC_HARM,
    P_SPAM_HARM,
    P_COMPLAINT_HARM,
    P_COMPLAINT_THRESHOLD,
    P_COMPLAINT_RATE,
    P_TURNAROUND,
    P_RECOVERY_DECAY,
    P_REVERSION,
    P_ENGAGEMENT_DRIFT,
    P_CHURN_BASE,
    P_CHURN_UNHAPPY,
    P_LAPSE_DAYS,
    P_LAPSED_LEAVE,
    P_REENGAGEMENT,
    P_NEWCOMER_DAYS,
    P_REPLY_WELCOME,
    P_NO_REPLY_CHILL,
    P_CHAMPION_POSTS,
    P_OPEN_DAYS,
    P_ACQUISITION,
    P_WORD_OF_MOUTH,
    P_TROLL_INITIAL,
    P_TROLL_ARRIVAL,
    P_TROLL_POST_RATE,
    P_TROLL_BASE_RATE,
    P_MOOD_BOOST,
    P_CONTEXT_BOOST,
    P_MOOD_THRESHOLD,
    P_NORM_GAIN,
    P_CONVERSION,
    P_WARNING,
    P_COMEBACK,
    P_COMEBACK_DAYS,
    P_REPLY_DRAW,
    P_SPAM_INITIAL,
    P_SPAM_ARRIVAL,
    P_SPAM_POST_RATE,
    P_MGR_COUNT,
    P_SUSTAINABLE_HOURS,
    P_OVERWORK_STRESS,
    P_TOXICITY_STRESS,
    P_RECOVERY,
    P_SELF_CARE_RECOVERY,
    P_BURNOUT_THRESHOLD,
    P_RECOVER_THRESHOLD,
    P_BURNOUT_EFFECTIVENESS,
    P_QUIT_RATE,
    P_VACANCY_DAYS,
    P_INITIAL_STRESS,
    P_MODERATION_RATE,
    P_MODERATION_SCALE,
    P_DETECTION,
    P_RESPONDING_RATE,
    P_RESPONDING_SCALE,
    P_LEVER_CONTENT_JOY,
    P_CONTENT_VISITS,
    P_CONTENT_SCALE,
    P_WELCOME_RATE,
    P_WELCOME_BOOST,
    P_WELCOMING_SCALE,
    P_OUTREACH_RATE,
    P_OUTREACH_LIFT,
    P_FRONT_PAGE,
    P_RESPONDING_WAIT,
    P_EVENT_BOOST,
    P_EVENT_REACH,
    P_EVENTS_SCALE,
    P_ANALYTICS_GAIN,
    P_ANALYTICS_SCALE,
    P_LEARNING_SCALE,
    P_LEARNING_RATE,
    P_SELF_CARE_SCALE,
    P_REACH,
    P_RECOVERY_DAYS,
    P_REPORT_RATE,
    P_TROLL_GIVE_UP,
    P_SPAM_GIVE_UP,
    P_SPAM_FILTER,
    P_QUICK_REVIEW_SCALE,
    P_NORM_MAX,
    P_NORM_SCALE,
    P_FOLLOW_UP_BOOST,
    P_RAID_TARGET,
    P_RAID_READ,
    P_RAID_CAP,
    P_WARNING_FLOOR,
    P_QUEUE_COST,
) = range(N_PARAMS)

# --- the steady start: scalars of the start (``cmsim.steady.start_scalars``), S[ST_*] ------------
ST_TROLL_SHARE = 0  # share of initial members who are trolls (steady count + trolls.initial_share)
ST_SPAM_SHARE = 1  # the same for spammers
ST_VISIT_MULT = 2  # visit multiplier under the current strategy (reach, content)
ST_REENGAGE = (
    3  # daily chance that a lapsed member comes back, the community's mean (members.start_comebacks)
)
ST_MAX_AGE = 4  # oldest tenure drawn (days)
ST_EVENT_GAIN = 5  # engagement a day's visit brings through events, over the daily drift
ST_WELCOMED = 6  # chance a newcomer was welcomed in its first week
ST_CAUGHT = 7  # chance moderation catches an ordinary member's toxic post (replayed warnings)
ST_TOXIC_RATE = 8  # chance a post is toxic per unit of temper (base rate over the mean temper, mood)
ST_EXPOSURE = 9  # toxic posts a visit sees at the steady state (members' exposure, context)
ST_SHOWN = 10  # days a post shows for comebacks, per ordinary post (questions answered unseen)
N_ST = 11

# --- timeline columns: TL[day, c] -------------------------------------------------------------
TL_SEASON = 0  # visit multiplier from seasonality
TL_ALGO = 1  # magnitude of an algorithm change starting that day
TL_RAID = 2  # extra trolls per day per 1000 members
TL_CRISIS = 3  # product crisis active (magnitude), complaint propensity x3
TL_CRISIS_SHOCK = 4  # mean satisfaction shock that day (each member's own: quiet.member_shock)
TL_VIRAL = 5  # arrivals multiplied by (1 + value)
TL_COMPETITOR = 6  # churn multiplied by (1 + value), acquisition divided by it
TL_CHANNEL = 7  # new channel: reach + value * know-how
TL_BAN_WAVE = 8  # intervention: every active troll/spammer reviewed that day (1/0)
TL_WELCOME_CAMPAIGN = 9  # intervention: every newcomer and at-risk member contacted (1/0)
TL_AMA = 10  # intervention: a big event, attendance chance for visitors that day
N_TL = 11

# --- manager (team) state: M[i] -------------------------------------------------------------
M_STRESS = 0
M_BURNED_OUT = 1
M_PRESENT = 2  # 1 when a manager is in post, 0 during a vacancy
M_VACANT_UNTIL = 3  # day the vacancy ends
M_KNOW_HOW = 4  # platform know-how from learning, 0..1
M_SHOCK = 5  # current reach loss from algorithm changes
M_QUITS = 6
M_LOAD_OFFENDING = 7  # toxic + spam posts yesterday (moderation load)
M_LOAD_OPEN = 8  # questions + complaints pending yesterday (responding load)
M_LOAD_NEWCOMERS = 9  # unwelcomed newcomers who visited yesterday
M_LOAD_AT_RISK = 10  # members at risk yesterday
M_MEMBERS = 11  # members (active + lapsed) at the end of yesterday
M_LOAD_EXPERTISE = 12  # expertise of yesterday's visitors, summed (what the front page can answer)
M_LOAD_QUESTIONS = 13  # questions asked yesterday (the front page)
M_LOAD_REPORTED = 14  # accounts reported yesterday (reviewed first today)
M_LOAD_FIRST_POSTS = 15  # newcomers' first posts still open yesterday (welcoming's replies)
M_RAID_POSTS = 16  # raiders' toxic posts yesterday that were not removed the same day (raid.py)
M_RAID_READS = 17  # readings in the raided space yesterday per such post of the day before
M_LOAD_FOLLOW_UPS = 18  # newcomers due a follow-up yesterday (past their first week, not followed up)
M_LOAD_NEW_POSTS = 19  # posts by new accounts (no published contribution yet) yesterday: the queue's load
N_M = 20

# --- daily output columns --------------------------------------------------------------------
OUT_COLUMNS: tuple[str, ...] = (
    "day",
    "members",
    "active_members",
    "lapsed_members",
    "dau",
    "wau",
    "mau",
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
    "joins",
    "churned",
    "reengaged",
    "newcomers",
    "first_posts",
    "first_posts_replied",
    "first_posts_unanswered",
    "welcomed",
    "outreach",
    "mean_satisfaction",
    "mean_engagement",
    "reach",
    "manager_hours",
    "manager_stress",
    "manager_burned_out",
    "manager_present",
    "know_how",
    "response_days_sum",
    "newcomers_due_30d",
    "newcomers_retained_30d",
    "comebacks",
    "truncated_joins",
    "bad_accounts",
    "newcomers_due_60d",
    "newcomers_retained_60d",
    "newcomers_due_90d",
    "newcomers_retained_90d",
    "questions_answered_peer",
    "peer_answers",
    "reports",
    "reported_accounts",
    "spam_filtered",
    "gave_up",
    "raid_posts",
    "raid_reads",
    "held_posts",
)
N_OUT = len(OUT_COLUMNS)
(
    O_DAY,
    O_MEMBERS,
    O_ACTIVE,
    O_LAPSED,
    O_DAU,
    O_WAU,
    O_MAU,
    O_POSTS,
    O_REPLIES,
    O_QUESTIONS,
    O_Q_ANSWERED,
    O_Q_EXPIRED,
    O_COMPLAINTS,
    O_C_ANSWERED,
    O_TOXIC,
    O_TOXIC_MEMBERS,
    O_SPAM,
    O_TROLLS,
    O_SPAMMERS,
    O_REMOVALS,
    O_JOINS,
    O_CHURNED,
    O_REENGAGED,
    O_NEWCOMERS,
    O_FIRST_POSTS,
    O_FIRST_REPLIED,
    O_FIRST_UNANSWERED,
    O_WELCOMED,
    O_OUTREACH,
    O_MEAN_SAT,
    O_MEAN_ENG,
    O_REACH,
    O_MGR_HOURS,
    O_MGR_STRESS,
    O_MGR_BURNED,
    O_MGR_PRESENT,
    O_KNOW_HOW,
    O_RESP_DAYS_SUM,
    O_DUE30,
    O_RET30,
    O_COMEBACKS,
    O_TRUNCATED,
    O_BAD_ACCOUNTS,
    O_DUE60,
    O_RET60,
    O_DUE90,
    O_RET90,
    O_Q_PEER,
    O_PEER_ANSWERS,
    O_REPORTS,
    O_REPORTED,
    O_SPAM_FILTERED,
    O_GAVE_UP,
    O_RAID_POSTS,
    O_RAID_READS,
    O_HELD,
) = range(N_OUT)

#: Response-time histogram bins (days 0..MAX_OPEN_DAYS) kept per run for medians.
MAX_OPEN_DAYS = 60

# --- member state, packed by dtype: row r of each 2-D array is one per-member field -----------
#: F holds the members' traits and moods in single precision (7 significant digits, far finer
#: than the model's resolution): the kernels compute in float64 from what they load and round
#: once when they store. A run needs 24 bytes a member slot less than in float64 (speed: 1-3% of
#: phase 1; ``benchmarks/README.md``, round 8). The parameters that satisfaction is compared with
#: or set to are rounded the same way (``SAT_LEVEL_KEYS``).
F_DTYPE = np.float32
# F: float32[N_F, n]
F_ACTIVITY = 0  # activity propensity (lognormal, median 1)
F_EXPERTISE = 1  # ability to answer questions, 0..1
F_TEMPER = 2  # proneness to trolling, 0..1
F_SAT = 3  # satisfaction / belonging, 0..1
F_ENG = 4  # engagement multiplier, 0.05..3
F_EXPOSURE = 5  # smoothed count of toxic posts seen (normalises trolling)
N_F = 6
# B: int8[N_B, n]
B_STATUS = 0  # EMPTY / ACTIVE / LAPSED / LEFT / REMOVED
B_ROLE = 1  # MEMBER / CHAMPION / TROLL / SPAMMER
B_FP = 2  # first-post state FP_*
B_GREETED = 3  # bit 1 once the manager welcomed a newcomer, bit 2 once it followed up (GREETED_*)
B_QANS = 4  # 1 when a peer answered the open question today
B_CANS = 5  # 1 when a champion answered the open complaint today
B_RAIDER = 6  # 1 for a troll who arrived with a raid (raid.py): it posts into the raided space
N_B = 7
# I: int32[N_I, n]
I_JOIN = 0  # day joined (negative for members present at day 0)
I_LAST_VISIT = 1
I_POSTS = 2  # contributions: posts, questions, complaints, replies and answers
I_TOXIC = 3  # toxic posts written
I_FIRST_POST = 4  # day of the first post written during the run (-1 none)
I_SECOND_POST = 5  # day of the next contribution after the first post (-1 none)
I_QDAY = 6  # day the open question was asked (-1 none)
I_CDAY = 7  # day the open complaint was made (-1 none)
I_REMOVED = 8  # day removed by moderation (-1 never)
I_COMEBACK = 9  # day a removed troll returns as a new account (-1 never)
N_I = 10
# U: uint8[9, n]: rows 0/1 = what a member showed on even/odd days (A_* bits), rows 2/3 = a reply
# arrived on even/odd days to the post it showed the day before, rows 4/5 = a reader reported on
# even/odd days the toxic or spam post it showed the day before, rows 6/7 = a reader replied on
# even/odd days to the toxic post it showed the day before (a troll was fed). Rows 4-7 are read
# the day after they are written (the other row of the pair is written meanwhile) and cleared
# in phase 2 of the day they are read. Row 8: how many of a member's contacts posted yesterday,
# counted before phase 1 and cleared during it (``comebacks.count_posters``; 0 outside phase 1).
U_ACT = 0
U_GOT = 2
U_REP = 4
U_FED = 6
U_POSTERS = 8
N_U = 9


def pack_params(values: Mapping[str, Any]) -> np.ndarray:
    """The packed parameter array ``P`` (float64[N_PARAMS], in ``P_KEYS`` order) of a validated
    scenario's values; the levels of satisfaction (``SAT_LEVEL_KEYS``) rounded to the precision
    members hold it in (``F_DTYPE``)."""
    return np.array(
        [float(F_DTYPE(values[k])) if k in SAT_LEVEL_KEYS else float(values[k]) for k in P_KEYS],
        dtype=np.float64,
    )
