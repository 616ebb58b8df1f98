"""The day's counts are named once (``cmsim._kernels.tally.TALLIES``) and every engine follows.

The kernels address a count by its slot ``K_*``, the Mesa engine by the attribute of the same
name on its ``Tally``, and a count named like an output column is reported in it as it is, in
both engines. These tests fail when a list drifts from the others.
"""

from __future__ import annotations

from cmsim._kernels import layout as L
from cmsim._kernels import tally as T
from cmsim.mesa import model as mesa_model
from cmsim.mesa.manager import Tally

#: Output columns the engines compute (not a tally reported as it is).
COMPUTED = {
    "day", "members", "active_members", "lapsed_members", "dau", "joins", "mean_satisfaction",
    "mean_engagement", "reach", "manager_hours", "manager_stress", "manager_burned_out",
    "manager_present", "know_how", "truncated_joins",
}  # fmt: skip


def _slots() -> dict[str, int]:
    return {k: v for k, v in vars(T).items() if k.startswith("K_") and k != "K_HIST"}


def test_each_count_has_one_slot_and_the_slots_are_its_position():
    slots = _slots()
    assert len(T.TALLIES) == len(set(T.TALLIES)), "a count named twice"
    assert sorted(slots.values()) == list(range(len(T.TALLIES))), "a slot missing, shared or out of range"
    assert all(isinstance(v, int) for v in slots.values())  # numba compiles plain ints in
    assert T.K_HIST == len(T.TALLIES) and T.N_K == T.K_HIST + L.MAX_OPEN_DAYS + 1
    assert T.TALLIES[T.K_LOAD_NEW] == "unwelcomed_visitors" and T.TALLIES[T.K_Q_ANS] == "questions_answered"


def test_the_mesa_tally_counts_the_kernels_counts_by_the_same_names():
    assert Tally.__slots__ == tuple(c for c in T.TALLIES if c not in T.KERNEL_ONLY)
    assert set(T.KERNEL_ONLY) <= set(T.TALLIES)
    t = Tally()
    assert all(getattr(t, c) == 0 for c in Tally.__slots__)
    t.visits += 2
    assert t.visits == 2


def test_every_output_column_is_a_tally_or_computed():
    copied = [T.TALLIES[k] for k in T.COPY_K]
    assert [L.OUT_COLUMNS[o] for o in T.COPY_O] == copied
    assert set(copied) == set(T.TALLIES) & set(L.OUT_COLUMNS)
    assert set(copied) | COMPUTED == set(L.OUT_COLUMNS), "an output column neither copied nor computed"
    assert not set(copied) & COMPUTED
    # a kernel-only count (the accounts reported today) is computed by the Mesa model itself
    assert mesa_model._TALLY_COLUMNS == tuple(c for c in copied if c not in T.KERNEL_ONLY)
