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

# Per-chunk tallies: part[c, K_*].
K_VISITS = 0
K_POSTS = 1
K_REPLIES = 2
K_QUESTIONS = 3
K_Q_ANS = 4
K_Q_EXP = 5
K_COMPL = 6
K_C_ANS = 7
K_TOXIC = 8
K_TOXIC_MEM = 9
K_SPAM = 10
K_TROLLS = 11
K_SPAMMERS = 12
K_REMOVALS = 13
K_CHURNED = 14
K_REENGAGED = 15
K_NEWCOMERS = 16
K_FIRST = 17
K_FIRST_REPL = 18
K_FIRST_UNANS = 19
K_WELCOMED = 20
K_OUTREACH = 21
K_SAT = 22
K_ENG = 23
K_ORDINARY = 24
K_ACTIVE = 25
K_LAPSED = 26
K_WAU = 27
K_MAU = 28
K_RESP_SUM = 29
K_LOAD_NEW = 30
K_AT_RISK = 31
K_SATISFIED = 32
K_HANDLED = 33
K_DUE30 = 34
K_RET30 = 35
K_COMEBACKS = 36
K_PENDING = 37
K_BAD = 38
K_SAT_FLOOR = 39  # ordinary active members satisfied after phase 1 (phase 2 only raises s)
K_EARLY_JOINS = 40  # member newcomers who joined during phase 2 (set in tot, not part)
K_DUE60 = 41
K_RET60 = 42
K_DUE90 = 43
K_RET90 = 44
K_Q_PEER = 45  # questions whose first answer came from a peer
K_PEER_ANS = 46  # answers peers gave to questions (every answer, not only the first)
K_EXPERTISE = 47  # visitors' expertise, summed in whole multiples of 2**-24
K_FP_OPEN = 48  # newcomers' first posts still open, waiting for a reply
K_HIST = 49
N_K = K_HIST + L.MAX_OPEN_DAYS + 1

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
Z_P_QUICK = 15  # chance an offending post is removed the day it is posted, before anyone reads it
Z_P_MGR_NOW = 16  # chance the manager answers a question peers left, on the day it is asked
Z_P_FP_REPLY = 17  # chance the manager replies today to a newcomer's open first post
N_Z = 18
