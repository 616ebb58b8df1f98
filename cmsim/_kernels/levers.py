"""The manager's levers and the day's scalars (compiled): diminishing returns, effectiveness,
capacities, reach after algorithm changes. See ``docs/model.md``, "The manager's levers"."""

from __future__ import annotations

import math

from numba import njit

from cmsim._kernels import layout as L
from cmsim._kernels import tally as T


@njit(cache=True)
def saturation(hours, scale):
    """Share of a lever's ceiling reached with ``hours`` a week: ``1 - exp(-hours / scale)``."""
    if hours <= 0.0:
        return 0.0
    return 1.0 - math.exp(-hours / scale)


@njit(cache=True)
def manager_levers(P, M, H):
    """Scalar lever effects for today from the week's hours ``H`` and the manager state ``M``.

    Returns ``(E, mod_cap, resp_cap, content, welcome_cap, event, target, learn, self_care)``:
    ``E`` effectiveness (0 when no manager is in post, reduced by burnout); capacities in items
    per day; ``content``, ``event``, ``learn`` and ``self_care`` as shares of saturation in
    [0, 1); ``target`` the share of effort that analytics aims at the right members.
    """
    n = max(P[L.P_MGR_COUNT], 1.0)
    E = M[L.M_PRESENT]
    if M[L.M_BURNED_OUT] > 0.0:
        E *= P[L.P_BURNOUT_EFFECTIVENESS]
    s_mod = saturation(H[0], n * P[L.P_MODERATION_SCALE])
    s_resp = saturation(H[1], n * P[L.P_RESPONDING_SCALE])
    s_cont = saturation(H[2], n * P[L.P_CONTENT_SCALE])
    s_wel = saturation(H[3], n * P[L.P_WELCOMING_SCALE])
    s_ev = saturation(H[4], n * P[L.P_EVENTS_SCALE])
    s_an = saturation(H[5], n * P[L.P_ANALYTICS_SCALE])
    s_learn = saturation(H[6], n * P[L.P_LEARNING_SCALE])
    s_care = saturation(H[7], n * P[L.P_SELF_CARE_SCALE])
    mod_cap = P[L.P_MODERATION_RATE] * n * P[L.P_MODERATION_SCALE] * s_mod * E / 7.0
    resp_cap = P[L.P_RESPONDING_RATE] * n * P[L.P_RESPONDING_SCALE] * s_resp * E / 7.0
    welcome_cap = P[L.P_WELCOME_RATE] * n * P[L.P_WELCOMING_SCALE] * s_wel * E / 7.0
    g = P[L.P_ANALYTICS_GAIN]
    target = (1.0 + g * s_an * E) / (1.0 + g)
    return E, mod_cap, resp_cap, s_cont * E, welcome_cap, s_ev * E, target, s_learn * E, s_care


@njit(cache=True)
def day_scalars(d, P, TL, M, H, Z):
    """Fill ``Z`` with today's lever effects, event factors and reach; update the reach shock."""
    E, mod_cap, resp_cap, content, welcome_cap, event, target, learn, care = manager_levers(P, M, H)
    know = M[L.M_KNOW_HOW]
    # Moderation reviews yesterday's offending posts; analytics aims the reviews.
    load = max(1.0, M[L.M_LOAD_OFFENDING])
    Z[T.Z_P_DETECT] = P[L.P_DETECTION] * min(1.0, mod_cap * target / load)
    Z[T.Z_BAN] = TL[d, L.TL_BAN_WAVE]
    Z[T.Z_P_MGR] = min(1.0, resp_cap / max(1.0, M[L.M_LOAD_OPEN]))
    Z[T.Z_CONTENT] = content
    Z[T.Z_P_WELCOME] = min(1.0, welcome_cap / max(1.0, M[L.M_LOAD_NEWCOMERS]))
    left = max(0.0, welcome_cap - M[L.M_LOAD_NEWCOMERS])
    Z[T.Z_P_OUTREACH] = min(1.0, left * target / max(1.0, M[L.M_LOAD_AT_RISK]))
    if TL[d, L.TL_WELCOME_CAMPAIGN] > 0.0:
        Z[T.Z_P_WELCOME] = 1.0
        Z[T.Z_P_OUTREACH] = 1.0
    Z[T.Z_P_EVENT] = min(1.0, P[L.P_EVENT_REACH] * event + TL[d, L.TL_AMA])
    # Reach: algorithm changes cut it, know-how softens the cut and speeds recovery.
    tau = P[L.P_RECOVERY_DAYS] * (1.0 - T.LEARN_SPEED * know)
    shock = M[L.M_SHOCK] * math.exp(-1.0 / tau) + TL[d, L.TL_ALGO] * (1.0 - T.LEARN_SOFTEN * know)
    M[L.M_SHOCK] = shock
    reach = P[L.P_REACH] * (1.0 - min(shock, 1.0)) + TL[d, L.TL_CHANNEL] * know
    Z[T.Z_REACH] = max(reach, 0.0)
    Z[T.Z_VISIT_MULT] = Z[T.Z_REACH] * TL[d, L.TL_SEASON] * (1.0 + P[L.P_CONTENT_VISITS] * content)
    Z[T.Z_COMPLAINT_MULT] = 3.0 if TL[d, L.TL_CRISIS] > 0.0 else 1.0
    Z[T.Z_SHOCK] = TL[d, L.TL_CRISIS_SHOCK]
    Z[T.Z_CHURN_MULT] = 1.0 + TL[d, L.TL_COMPETITOR]
    Z[T.Z_E] = E
