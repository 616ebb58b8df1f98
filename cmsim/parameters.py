"""The declared parameter schema: every scenario parameter, its default, unit, range and meaning.

This module is the single source of truth for what a scenario may contain. The scenario loader
validates against it, ``cmsim params`` prints it, ``cmsim schema`` turns it into JSON Schema, and
the engines read their inputs from a scenario validated against it.

Keys are dotted (``section.name``). A scenario YAML file nests them::

    community:
      kind: forum
      initial_members: 2000

The ``events`` key is a list of timeline events (see :data:`EVENT_TYPES`).
"""

from __future__ import annotations

from typing import Any

from cmsim.vocabulary import (
    EVENT_FIELDS,
    EVENT_TYPES,
    HOURS_PER_WEEK,
    INTERVENTION_TYPES,
    KINDS,
    LEVERS,
    STRATEGY_NAMES,
    Param,
)
from cmsim.vocabulary import declare as _p

__all__ = [
    "Param",
    "PARAMS",
    "LEVERS",
    "KINDS",
    "EVENT_TYPES",
    "EVENT_FIELDS",
    "INTERVENTION_TYPES",
    "HOURS_PER_WEEK",
    "defaults",
]


_SPECS = [
    # --- community: size, horizon, structure --------------------------------------------------
    _p("community.kind", "forum", "", doc="community kind: selects the member graph", choices=KINDS),
    _p("community.initial_members", 2000, "members", 2, 50_000_000, "members at day 0"),
    _p("community.days", 180, "days", 1, 3650, "simulated horizon"),
    _p(
        "community.membership_given",
        False,
        "",
        doc="members are assigned (internal community): "
        "nobody joins by word of mouth and churn means leaving the organisation",
    ),
    # --- graph --------------------------------------------------------------------------------
    _p("graph.mean_degree", 10.0, "contacts", 1.0, 200.0, "mean number of members each member sees"),
    _p(
        "graph.clustering",
        0.3,
        "probability",
        0.0,
        1.0,
        "social_media: chance each extra link closes a triangle (Holme-Kim)",
    ),
    _p("graph.blocks", 12, "sub-forums", 1, 100_000, "forum sub-forums / internal departments"),
    _p("graph.mixing", 0.1, "share", 0.0, 1.0, "share of links that cross sub-forums/departments"),
    _p(
        "graph.hub_share",
        0.02,
        "share",
        0.0,
        0.5,
        "customer: share of members who are hubs (experts) that many askers link to",
    ),
    _p("graph.rewire", 0.05, "probability", 0.0, 1.0, "internal: small-world rewiring probability"),
    _p("graph.attach", 4, "links", 1, 50, "members a newcomer links to when joining"),
    # --- members: traits and behaviour -------------------------------------------------------
    _p(
        "members.activity_sigma",
        1.4,
        "log-units",
        0.0,
        4.0,
        "spread (lognormal sigma) of activity propensity: drives participation inequality",
        source="calibrated: Nielsen 2006 / van Mierlo 2014 (lurkers, top 1% share)",
    ),
    _p(
        "members.visit_rate",
        0.012,
        "per day",
        0.0,
        1.0,
        "median member's chance to visit on a day",
        source="calibrated: Nielsen 2006 / van Mierlo 2014 (with activity_sigma)",
    ),
    _p(
        "members.post_rate",
        0.01,
        "per visit",
        0.0,
        1.0,
        "median member's chance to post on a visit (scaled by activity)",
        source="calibrated: van Mierlo 2014 (fewer than 25% ever post)",
    ),
    _p("members.question_share", 0.3, "share", 0.0, 1.0, "share of ordinary posts that are questions"),
    _p("members.expert_share", 0.05, "share", 0.0, 1.0, "share of members with high expertise"),
    _p("members.temper_mean", 0.3, "0-1", 0.0, 1.0, "mean proneness to trolling"),
    _p("members.initial_satisfaction", 0.65, "0-1", 0.0, 1.0, "satisfaction of members at day 0"),
    _p("members.satisfaction_baseline", 0.65, "0-1", 0.0, 1.0, "level satisfaction drifts back to"),
    # --- dynamics: what members do to each other ---------------------------------------------
    _p(
        "dynamics.reply_rate",
        0.15,
        "per post seen",
        0.0,
        1.0,
        "chance a visiting member replies to a neighbour's post from yesterday",
        source="calibrated: Burke 2007 (about 40% of first posts unanswered)",
    ),
    _p(
        "dynamics.answer_rate",
        0.25,
        "per question seen",
        0.0,
        1.0,
        "chance a visiting expert answers a neighbour's open question",
    ),
    _p(
        "dynamics.front_page",
        2.0,
        "questions per visit",
        0.0,
        100.0,
        "open questions of the whole community (front page or feed) a visitor reads besides its "
        "contacts'; each answered with chance answer_rate x expertise",
        source="calibrated: with no manager a forum answers a majority of questions (Mamykina 2011, "
        "inSided: 40-60% answered by peers), first posts still 30-50% unanswered (Burke 2007)",
    ),
    _p(
        "dynamics.content_joy",
        0.01,
        "satisfaction/post",
        0.0,
        1.0,
        "satisfaction gained per useful post seen (saturating)",
    ),
    _p(
        "dynamics.toxic_harm",
        0.12,
        "satisfaction/post",
        0.0,
        1.0,
        "satisfaction lost per toxic post seen",
        source="calibrated: Chandrasekharan 2017 (the banned accounts' circles churn more)",
    ),
    _p("dynamics.spam_harm", 0.01, "satisfaction/post", 0.0, 1.0, "satisfaction lost per spam post seen"),
    _p(
        "dynamics.complaint_harm",
        0.02,
        "satisfaction/item",
        0.0,
        1.0,
        "satisfaction lost per unanswered complaint seen",
    ),
    _p("dynamics.complaint_threshold", 0.35, "0-1", 0.0, 1.0, "satisfaction below which members complain"),
    _p("dynamics.complaint_rate", 0.3, "per visit", 0.0, 1.0, "chance an unhappy visiting member complains"),
    _p(
        "dynamics.turnaround",
        0.6,
        "probability",
        0.0,
        1.0,
        "chance an answered complaint turns its author around (satisfaction restored)",
    ),
    _p(
        "dynamics.recovery_decay",
        0.9,
        "per day waited",
        0.0,
        1.0,
        "turnaround chance kept per day a complaint waited for its answer (timely answers recover more)",
    ),
    _p("dynamics.reversion", 0.02, "per day", 0.0, 1.0, "daily drift of satisfaction towards its baseline"),
    _p(
        "dynamics.engagement_drift",
        0.01,
        "per day",
        0.0,
        1.0,
        "daily drift of engagement back to 1 after a boost or a chill",
    ),
    _p("dynamics.churn_base", 0.0005, "per day", 0.0, 1.0, "daily chance a content member leaves"),
    _p("dynamics.churn_unhappy", 0.02, "per day", 0.0, 1.0, "extra daily leave chance at zero satisfaction"),
    _p("dynamics.lapse_days", 90, "days", 1, 3650, "days without a visit after which a member has lapsed"),
    _p("dynamics.lapsed_leave", 0.005, "per day", 0.0, 1.0, "daily chance a lapsed member leaves for good"),
    _p(
        "dynamics.reengagement",
        0.05,
        "per active contact",
        0.0,
        1.0,
        "daily chance a lapsed member returns, per posting contact seen (growth vs death)",
        source="assumption",
    ),
    _p("dynamics.newcomer_days", 30, "days", 1, 365, "days a member counts as a newcomer"),
    _p(
        "dynamics.reply_welcome",
        1.0,
        "multiplier",
        0.0,
        10.0,
        "engagement multiplier for a newcomer whose first post got a reply",
        source="calibrated: Joyce & Kraut 2006 (56% vs 44%)",
    ),
    _p(
        "dynamics.no_reply_chill",
        0.6,
        "multiplier",
        0.0,
        10.0,
        "engagement multiplier for a newcomer whose first post got none",
        source="calibrated: Joyce & Kraut 2006 (56% vs 44%)",
    ),
    _p("dynamics.champion_posts", 50, "posts", 1, 100_000, "posts after which a regular becomes a champion"),
    _p(
        "dynamics.open_days",
        10,
        "days",
        1,
        60,
        "days a question or complaint stays open",
        source="calibrated: Burke 2007 (with reply_rate)",
    ),
    # --- growth --------------------------------------------------------------------------------
    _p(
        "growth.acquisition",
        0.002,
        "per day",
        0.0,
        1.0,
        "daily arrivals from outside, as a share of the initial size",
    ),
    _p(
        "growth.word_of_mouth",
        0.002,
        "per day",
        0.0,
        1.0,
        "daily arrivals per satisfied active member",
        source="calibrated: Ribeiro 2014 (0 dies, 0.004 grows; default keeps a forum about stable)",
    ),
    # --- trolls and spammers ---------------------------------------------------------------------
    _p(
        "trolls.initial_share",
        0.0,
        "share",
        0.0,
        0.5,
        "extra share of members who are trolls at day 0, beyond the steady count (a raid under way)",
    ),
    _p(
        "trolls.arrival_rate", 0.05, "per day per 1000", 0.0, 1000.0, "trolls arriving per 1000 members a day"
    ),
    _p("trolls.post_rate", 0.8, "per day", 0.0, 1.0, "chance an active troll posts something toxic on a day"),
    _p(
        "trolls.base_rate",
        0.005,
        "per post",
        0.0,
        1.0,
        "chance an ordinary member's post is toxic, at mean temper, good mood, clean context",
        source="calibrated: Chandrasekharan 2017 (low, so that exposure drives trolling)",
    ),
    _p(
        "trolls.mood_boost",
        1.43,
        "multiplier",
        1.0,
        10.0,
        "trolling multiplier when in a bad mood",
        source="calibrated: Cheng et al. 2017 (35% -> 50%)",
    ),
    _p(
        "trolls.context_boost",
        1.43,
        "multiplier",
        1.0,
        10.0,
        "trolling multiplier after seeing toxic posts",
        source="calibrated: Cheng et al. 2017 (35% -> 50%)",
    ),
    _p("trolls.mood_threshold", 0.4, "0-1", 0.0, 1.0, "satisfaction below which a member is in a bad mood"),
    _p(
        "trolls.norm_gain",
        100.0,
        "multiplier",
        0.0,
        1000.0,
        "how much a member's exposure (smoothed toxic posts seen a day) multiplies trolling",
        source="calibrated: Chandrasekharan 2017 (stayers' trolling falls 80% after a ban)",
    ),
    _p(
        "trolls.warning",
        0.5,
        "multiplier",
        0.0,
        1.0,
        "temper multiplier for an ordinary member whose toxic post moderation caught",
        source="direction: Srinivasan et al. 2019, Jhaver et al. 2019 (removed violators break the rules "
        "less afterwards); size an assumption, held by the fact 'a removal deters the violator for weeks'",
    ),
    _p(
        "trolls.warning_floor",
        0.3,
        "share of temper_mean",
        0.0,
        1.0,
        "temper, as a share of members.temper_mean, below which warnings no longer lower a member's temper",
        source="assumption: anyone can troll in a bad mood and a heated thread (Cheng et al., CSCW 2017), so "
        "warnings deter but do not make members norm-proof; calibrated: social_media under moderation_first "
        "keeps 4-6% of comments norm-breaking (Park et al. 2022); social_media sets 0.25 with its "
        "trolls.base_rate, so that a removal still deters (the fact 'a removal deters the violator for weeks')",
    ),
    _p(
        "trolls.conversion",
        0.05,
        "per toxic post",
        0.0,
        1.0,
        "chance an ordinary member who trolls becomes a troll (contagion)",
    ),
    _p("trolls.comeback", 0.3, "probability", 0.0, 1.0, "chance a removed troll returns as a new account"),
    _p("trolls.comeback_days", 14, "days", 1, 365, "mean days before a removed troll returns"),
    _p("trolls.reply_draw", 3.0, "multiplier", 0.0, 100.0, "how much more replies a toxic post draws"),
    _p(
        "spam.initial_share",
        0.0,
        "share",
        0.0,
        0.5,
        "extra share of members who are spammers at day 0, beyond the steady count",
    ),
    _p("spam.arrival_rate", 0.1, "per day per 1000", 0.0, 1000.0, "spammers arriving per 1000 members a day"),
    _p("spam.post_rate", 0.8, "per day", 0.0, 1.0, "chance an active spammer posts on a day"),
    _p(
        "trolls.report_rate",
        0.1,
        "per post seen",
        0.0,
        1.0,
        "chance a member who reads a toxic or spam post reports it to the moderators",
        source="assumption (a guess to calibrate against a community's report counts): reports feed "
        "moderation's queue (Reddit Transparency Report 2023: user reports are one of its sources)",
    ),
    _p(
        "trolls.give_up",
        0.05,
        "per day",
        0.0,
        1.0,
        "chance a troll gives up (its account goes quiet for good) on a day after one on which "
        "nobody replied to it (mean 20 such days)",
        source="assumption: trolling seeks reactions ('do not feed the trolls'); the size is a guess",
    ),
    _p(
        "spam.give_up",
        0.05,
        "per day",
        0.0,
        1.0,
        "chance a spammer's account goes quiet for good on a day (spam draws no replies; mean 20 days)",
        source="assumption: spam accounts are short-lived campaigns; the size is a guess",
    ),
    # --- raids: the raided space (cmsim/_kernels/raid.py) -------------------------------------
    _p(
        "raid.target_share",
        0.25,
        "share",
        0.0,
        1.0,
        "share of members in the space a raid targets (a sub-forum, the threads the raiders enter): "
        "its visitors read the raiders' posts whether or not they are the raiders' contacts",
        source="assumption: raids target one community or thread of a platform (Kumar et al., WWW "
        "2018: mobilisations from a source to a target subreddit); a quarter of the forum is a guess",
    ),
    _p(
        "raid.read_share",
        0.1,
        "share",
        0.0,
        1.0,
        "share of yesterday's raid posts (those not removed the day they were posted) that a visitor "
        "of the raided space reads on a visit",
        source="assumption: a raid fills the threads it enters (Kumar et al., WWW 2018: a short spike "
        "of activity in the raided threads); the size is a guess",
    ),
    _p(
        "raid.read_cap",
        5,
        "posts",
        0,
        1000,
        "most raid posts a visitor of the raided space reads on a visit",
        source="assumption: a visit reads a few threads; the size is a guess",
    ),
    _p(
        "spam.filter",
        0.8,
        "share",
        0.0,
        1.0,
        "share of spam posts the platform's filter removes before anyone sees them",
        source="secondary: AutoModerator-style filters take 70-95% of spam before it is seen "
        "(Reddit Transparency Report 2023)",
    ),
    # --- the manager (or team) --------------------------------------------------------------------
    _p("manager.count", 1, "managers", 0, 1000, "community managers on the team (0 = unmanaged)"),
    _p(
        "manager.current_strategy",
        "balanced",
        "",
        choices=STRATEGY_NAMES,
        doc="strategy the community was managed with before day 0: the steady start follows it",
    ),
    _p(
        "manager.hours",
        30.0,
        "hours/week",
        0.0,
        HOURS_PER_WEEK,
        "weekly hours each manager spends on the community",
    ),
    _p(
        "manager.sustainable_hours",
        32.0,
        "hours/week",
        0.0,
        HOURS_PER_WEEK,
        "weekly hours a manager can work without building stress",
    ),
    _p(
        "manager.overwork_stress",
        0.02,
        "stress/hour",
        0.0,
        1.0,
        "daily stress per weekly hour above the sustainable level",
        source="calibrated: Community Roundtable (understaffed manager burns out)",
    ),
    _p(
        "manager.toxicity_stress",
        0.0005,
        "stress/item",
        0.0,
        1.0,
        "stress per offending post removed or warned about and per complaint the manager answers",
        source="calibrated: Community Roundtable (sustainable hours: no burnout)",
    ),
    _p("manager.recovery", 0.02, "per day", 0.0, 1.0, "daily stress recovery with no self-care"),
    _p(
        "manager.self_care_recovery",
        0.01,
        "per hour/week",
        0.0,
        1.0,
        "extra daily recovery per weekly hour of self-care (diminishing)",
    ),
    _p("manager.burnout_threshold", 0.8, "0-1", 0.0, 1.0, "stress above which the manager burns out"),
    _p("manager.recover_threshold", 0.4, "0-1", 0.0, 1.0, "stress below which a burned-out manager recovers"),
    _p(
        "manager.burnout_effectiveness",
        0.5,
        "multiplier",
        0.0,
        1.0,
        "effectiveness of every lever while burned out",
    ),
    _p(
        "manager.quit_rate",
        0.01,
        "per day",
        0.0,
        1.0,
        "daily chance a burned-out manager quits",
        source="assumption",
    ),
    _p("manager.vacancy_days", 42, "days", 0, 3650, "days the post stays empty after a manager quits"),
    _p("manager.initial_stress", 0.2, "0-1", 0.0, 1.0, "manager's stress at day 0"),
    # --- levers: capacity follows hours (items a week = rate * scale * ln(1 + hours / scale)) -----
    _p(
        "levers.moderation_rate",
        12.0,
        "items/hour",
        0.0,
        10_000.0,
        "offending posts reviewed in a week's first hour (triage); with scale 20, 6.6/hour over 40 h "
        "(a full-time moderator handles ~1,085 comments a month, ~6/hour)",
        source="practitioner rules (inSided, Khoros): a full-time moderator handles about 1,085 comments "
        "a month, 6 an hour; 12 in the first hour, 6.6 on average over 40 h with scale 20",
    ),
    _p(
        "levers.moderation_scale",
        20.0,
        "hours/week",
        0.1,
        HOURS_PER_WEEK,
        "team hours of moderation a week at which an extra hour gets half as much done as the first",
        source="assumption: triage of obvious items is about twice as fast as careful handling",
    ),
    _p(
        "levers.quick_review_scale",
        20.0,
        "hours/week",
        0.1,
        HOURS_PER_WEEK,
        "team hours of moderation a week that catch 63% of the offending posts the day they are posted, "
        "before members read them (1 - exp(-hours / scale), as far as the reviews keep up; assumption)",
        source="assumption: watching the community a few hours every day finds most posts within hours; "
        "a quick deletion cuts later rule-breaking by others (Horta Ribeiro et al., WWW 2023)",
    ),
    _p(
        "levers.norm_max",
        0.3,
        "share",
        0.0,
        1.0,
        "largest share of ordinary members' toxic posts that visible moderation (rules restated, "
        "removals explained, moderators seen in threads) prevents, with many moderation hours to spare",
        source="Matias 2019 (PNAS, 2,190 discussions): posting the rules raised newcomers' rule compliance "
        "by 8 percentage points; explained removals lower later removals (Jhaver et al. 2019); visible "
        "moderation shapes behaviour (Seering et al. 2017). Size: assumption (a third at most)",
    ),
    _p(
        "levers.norm_scale",
        10.0,
        "hours/week",
        0.1,
        HOURS_PER_WEEK,
        "moderation hours a week left after the reviews that reach 63% of levers.norm_max "
        "(1 - exp(-spare hours / scale))",
        source="assumption: about an hour and a half a day seen in the threads",
    ),
    _p(
        "levers.queue_cost",
        0.5,
        "reviews",
        0.01,
        10.0,
        "moderation capacity one post in the approval queue for new accounts takes, in full reviews: "
        "capacity the reviews leave holds the posts of accounts that joined during the run and have "
        "published nothing yet (a new troll's or spammer's post rejected and the account removed, a "
        "newcomer's approved), before visible norms get what is left",
        source="practice: Discourse approves new users' first posts, Reddit AutoModerator filters by "
        "account age and karma, Facebook groups approve posts; size: assumption, triage of obvious "
        "items is about twice as fast as careful handling (as levers.moderation_scale)",
    ),
    _p(
        "levers.detection",
        0.95,
        "probability",
        0.0,
        1.0,
        "chance a reviewed offender is recognised and removed",
    ),
    _p(
        "levers.responding_rate",
        6.0,
        "items/hour",
        0.0,
        10_000.0,
        "questions or complaints answered in a week's first hour; with scale 20, 3.3/hour over 40 h "
        "(practitioners answer 2-6 an hour); capacity the waiting ones leave answers new questions the same day",
        source="practitioners answer 2-6 questions an hour (inSided, Khoros); 6 in the first hour, 3.3 on "
        "average over 40 h with scale 20 (customer.yaml sets 12, calibrated: Mamykina 2011)",
    ),
    _p(
        "levers.responding_scale",
        20.0,
        "hours/week",
        0.1,
        HOURS_PER_WEEK,
        "team hours of responding a week at which an extra hour gets half as much done as the first",
        source="assumption: the easy questions are answered first",
    ),
    _p(
        "levers.responding_wait",
        1,
        "days",
        0,
        60,
        "days a question is left to members before the manager answers it",
        source="vendor communities: staff step in after 1-2 days unanswered (inSided; Leader Networks 2020)",
    ),
    _p(
        "levers.content_joy",
        0.004,
        "satisfaction/day",
        0.0,
        1.0,
        "daily satisfaction a visitor gains from saturated manager content",
    ),
    _p(
        "levers.content_visits",
        0.10,
        "multiplier",
        0.0,
        10.0,
        "extra visit chance from saturated content (assumption, kept modest: no causal study found)",
        source="assumption, kept modest: no causal study of a manager's own content was found (instructor "
        "presence in course forums went with less participation, observational); 0.25 before model 3.0",
    ),
    _p("levers.content_scale", 8.0, "hours/week", 0.1, HOURS_PER_WEEK, "saturation of content hours"),
    _p(
        "levers.welcome_rate",
        12.0,
        "members/hour",
        0.0,
        10_000.0,
        "newcomers greeted in a week's first hour (a short greeting, ~5 minutes); hours left after "
        "greetings reply to newcomers' unanswered first posts (a reply takes two greetings), then outreach",
        source="assumption: a short personal greeting takes about 5 minutes (no published figure)",
    ),
    _p(
        "levers.welcome_boost",
        1.5,
        "multiplier",
        0.0,
        10.0,
        "engagement multiplier for a newcomer the manager welcomes",
        source="calibrated: welcomed newcomers survive 10-30% better (Wikipedia Teahouse trial, Morgan "
        "& Halfaker 2018; Pethig et al. 2025 +10%): 60-day survival ratio about 1.14",
    ),
    _p(
        "levers.welcoming_scale",
        20.0,
        "hours/week",
        0.1,
        HOURS_PER_WEEK,
        "team hours of welcoming and outreach a week at which an extra hour gets half as much done",
        source="assumption (as moderation and responding)",
    ),
    _p(
        "levers.outreach_rate",
        3.0,
        "members/hour",
        0.0,
        10_000.0,
        "members at risk contacted one to one in a week's first hour (~20 minutes a message)",
        source="assumption: a one-to-one message to a member who drifts away takes about 20 minutes",
    ),
    _p(
        "levers.outreach_lift",
        0.5,
        "share",
        0.0,
        1.0,
        "share of the gap to baseline satisfaction that one-to-one outreach closes",
    ),
    _p(
        "levers.follow_up_boost",
        1.25,
        "multiplier",
        0.0,
        10.0,
        "engagement multiplier for a newcomer the manager follows up with after its first week (a "
        "check-in, an introduction to a regular, an invitation to ask)",
        source="direction: Teahouse invitations to ask (Morgan & Halfaker 2018), mentoring; size: "
        "assumption, half the greeting's effect on a log scale (sqrt(levers.welcome_boost 1.5))",
    ),
    _p("levers.event_boost", 0.15, "engagement", 0.0, 1.0, "engagement an attendee gains from an event"),
    _p("levers.event_reach", 0.05, "share", 0.0, 1.0, "share of visitors who attend a saturated event week"),
    _p("levers.events_scale", 6.0, "hours/week", 0.1, HOURS_PER_WEEK, "saturation of event hours"),
    _p(
        "levers.analytics_gain",
        1.0,
        "multiplier",
        0.0,
        10.0,
        "how much saturated analytics multiplies targeting of moderation and outreach",
    ),
    _p("levers.analytics_scale", 4.0, "hours/week", 0.1, HOURS_PER_WEEK, "saturation of analytics hours"),
    _p(
        "levers.dashboard_noise",
        0.25,
        "share",
        0.0,
        2.0,
        "relative error of the weekly dashboard's numbers with no analytics hours (shrinks as analytics saturates)",
        source="assumption (platform insights sample and survey answers are few; no fact pins its size)",
    ),
    _p("levers.learning_scale", 4.0, "hours/week", 0.1, HOURS_PER_WEEK, "saturation of learning hours"),
    _p(
        "levers.learning_rate", 0.05, "per week", 0.0, 1.0, "weekly growth of platform know-how at saturation"
    ),
    _p("levers.self_care_scale", 4.0, "hours/week", 0.1, HOURS_PER_WEEK, "saturation of self-care hours"),
    # --- platform ------------------------------------------------------------------------------
    _p("platform.reach", 1.0, "multiplier", 0.0, 10.0, "how much of members' feeds the platform shows"),
    _p("platform.seasonality", 0.0, "share", 0.0, 1.0, "amplitude of the yearly visit cycle"),
    _p("platform.season_period", 365, "days", 1, 3650, "period of the visit cycle"),
    _p(
        "platform.recovery_days",
        60,
        "days",
        1,
        3650,
        "days reach needs to recover after an algorithm change, without learning",
    ),
]

#: Every declared parameter, keyed by dotted name, in declaration order.
PARAMS: dict[str, Param] = {p.key: p for p in _SPECS}


def defaults() -> dict[str, Any]:
    """Return a flat ``{dotted key: default}`` mapping of every parameter.

    Examples
    --------
    >>> d = defaults()
    >>> d["community.kind"]
    'forum'
    """
    return {k: p.default for k, p in PARAMS.items()}
