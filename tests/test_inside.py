"""*Inside the model*: member states, the fixed layout, the day log and the widget's Python API."""

from __future__ import annotations

import io
from types import SimpleNamespace as NS

import numpy as np
import pytest
from PIL import Image

from cmsim._kernels import layout as L
from cmsim.errors import CmsimError
from cmsim.mesa import CommunityModel
from cmsim.mesa import agents as A
from cmsim.mesa.daylog import follow
from cmsim.mesa.view import STATES, CommunityPicture, FixedLayout, member_state, state_counts
from cmsim.widgets import InsideTheModel


@pytest.mark.parametrize(
    ("status", "role", "joined", "posts", "expected"),
    [
        ("left", "member", 5, 3, "gone"),
        ("removed", "troll", 5, 3, "gone"),
        ("lapsed", "champion", -40, 80, "lapsed"),
        ("active", "troll", 18, 0, "troll"),  # a troll who just arrived is a troll, not a newcomer
        ("active", "spammer", -3, 1, "spammer"),
        ("active", "champion", 15, 60, "champion"),
        ("active", "member", 11, 4, "newcomer"),  # day 40 - joined 11 = 29 < 30
        ("active", "member", 10, 0, "lurker"),  # 40 - 10 = 30: no longer a newcomer
        ("active", "member", -200, 0, "lurker"),
        ("active", "member", -200, 1, "active"),
    ],
)
def test_member_state_on_hand_built_members(status, role, joined, posts, expected) -> None:
    m = NS(status=status, role=role, joined=joined, posts=posts)
    assert member_state(m, 40, 30) == expected


def test_state_counts_of_a_hand_set_community() -> None:
    model = CommunityModel("forum", members=20, days=5, seed=1)
    for m in model.member_list:  # everyone an old, silent member ...
        m.status, m.role, m.joined, m.posts = A.ACTIVE, A.MEMBER, -100, 0
    ms = model.member_list
    ms[0].status = A.LEFT
    ms[1].status = A.REMOVED
    ms[2].status = A.LAPSED
    ms[3].role = A.TROLL
    ms[4].role = A.SPAMMER
    ms[5].role = A.CHAMPION
    ms[6].joined = 0  # joined on day 0, the day shown: a newcomer
    ms[7].posts = ms[8].posts = 2
    counts = state_counts(model)
    assert list(counts) == list(STATES)
    assert counts == {"newcomer": 1, "lurker": 11, "active": 2, "champion": 1, "troll": 1, "spammer": 1,
                      "lapsed": 1, "gone": 2}  # fmt: skip


def test_following_members_changes_no_result() -> None:
    kw = dict(members=150, days=25, seed=4, overrides={"trolls.initial_share": 0.08})
    plain = CommunityModel("troll_raid", "moderation_first", **kw)
    watched = CommunityModel("troll_raid", "moderation_first", **kw)
    trolls = [m.slot for m in watched.member_list if m.role == A.TROLL][:2]
    busy = sorted(watched.member_list, key=lambda m: -m.activity)[:4]
    watches = [follow(watched.member_list[s]) for s in trolls] + [follow(m) for m in busy]
    for _ in range(25):
        plain.step()
        watched.step()
    assert plain.daily.equals(watched.daily)
    assert all(
        np.array_equal(a, b) for a, b in zip(plain.member_arrays(), watched.member_arrays(), strict=True)
    )
    assert all(len(w.logs) == 25 for w in watches)
    watches[0].stop()
    assert "act" not in watched.member_list[trolls[0]].__dict__


def test_a_day_log_tells_what_the_member_drew_and_did() -> None:
    model = CommunityModel("forum", members=200, days=30, seed=2)
    member = max(model.member_list, key=lambda m: m.activity if m.role == A.MEMBER else 0)
    watch = follow(member, keep=30)
    for _ in range(30):
        model.step()
    visits = 0
    for log in watch.logs:
        visit = [d for d in log.draws if d.stream == L.S_VISIT]
        if log.morning["status"] == A.ACTIVE and log.morning["role"] == A.MEMBER:
            assert len(visit) == 1 and 0.0 <= visit[0].chance <= 1.0
            # the member read its feed exactly on the days its draw fell under its chance
            assert visit[0].happened == (log.seen is not None)
            visits += visit[0].happened
        leave = [d for d in log.draws if d.stream == L.S_CHURN]
        if leave and leave[0].happened:
            assert log.evening["status"] == A.LEFT
        text = log.text()
        assert text.startswith(f"Day {log.day + 1}, member #{member.slot}") and "Evening" in text
        assert "<table>" in log.html() or "drew nothing" in log.html()
    assert visits >= 3  # the busiest member visits on many of 30 days


def test_the_layout_is_fixed_and_newcomers_sit_near_their_contacts() -> None:
    model = CommunityModel("forum", members=120, days=40, seed=3)
    layout = FixedLayout(model, seed=3)
    start = layout.xy.copy()
    for _ in range(40):
        model.step()
    xy = layout.update(model)
    assert np.array_equal(xy[: len(start)], start)  # nobody moved
    assert len(xy) == len(model.member_list) > len(start)
    for m in model.member_list[len(start) :]:
        first = [c.slot for c in m.contacts if c.slot < m.slot]
        if first:
            assert np.linalg.norm(xy[m.slot] - xy[first].mean(axis=0)) < 0.25


def test_plots_are_in_step_with_the_counter() -> None:
    model = CommunityModel("forum", members=60, days=20, seed=1)
    pic = CommunityPicture(model)
    for _ in range(6):
        model.step()
    pic.update(model)
    x, _y = pic._lines["dau"].get_data()
    assert list(x) == [1, 2, 3, 4, 5, 6] and model.day == 6
    assert pic.ax["network"].get_title().startswith("Day 6 of 20")
    assert pic.ax["activity"].get_xlabel() == "day"
    with pytest.raises(ValueError, match="panels"):
        CommunityPicture(model, panels=("map",))


@pytest.fixture(scope="module")
def inside() -> InsideTheModel:
    return InsideTheModel("forum", "balanced", members=80, days=20, seed=1)


def test_the_widget_steps_resets_and_redraws(inside: InsideTheModel) -> None:
    inside.reset()
    image0, sig0 = inside.w_image.value, inside.picture.signature
    assert inside.counter_text() == "Day 0 of 20" and inside.w_play.value == 0
    inside.w_step.click()
    assert inside.day == 1 and inside.w_play.value == 1 and "Day 1 of 20" in inside.w_counter.value
    assert inside.w_image.value != image0 and inside.picture.signature != sig0
    assert inside.w_image.value[:8] == b"\x89PNG\r\n\x1a\n"
    inside.w_play.value = 5  # what the Play widget does as it plays
    assert inside.day == 5 and "Day 5 of 20" in inside.w_counter.value
    inside.w_reset.click()
    assert inside.day == 0 and inside.w_play.value == 0 and len(inside.model.daily) == 0
    inside.step(30)  # stops at the horizon
    assert inside.day == 20 and inside.counter_text() == "Day 20 of 20 (the end)" and inside.w_step.disabled


def test_changed_settings_say_they_need_a_reset(inside: InsideTheModel) -> None:
    inside.reset()
    assert not inside.needs_reset and inside.w_notice.value == ""
    inside.w_members.value = 60
    assert (
        inside.needs_reset and "Press Reset" in inside.w_notice.value and "members" in inside.w_notice.value
    )
    assert len(inside.model.member_list) == 80  # the community shown keeps its own settings
    inside.w_members.value = 80
    assert not inside.needs_reset and inside.w_notice.value == ""
    inside.w_seed.value = 2
    inside.reset()
    assert inside.model.seed == 2 and not inside.needs_reset and inside.w_reset.button_style == ""
    inside.w_seed.value = 1
    inside.reset()


def test_a_followed_member_has_a_readable_day(inside: InsideTheModel) -> None:
    inside.reset()
    assert "next day" in inside.w_log.value and inside.day_log() is None
    inside.step()
    log = inside.day_log()
    assert log.day == 0 and log.slot == inside.followed
    assert f"Member #{inside.followed}" in inside.w_log.value and "Visit today?" in inside.w_log.value
    slot = inside.follow_state("lurker")
    assert slot is not None and inside.followed == slot and inside.w_follow_slot.value == slot
    inside.step()
    assert inside.day_log().slot == slot and inside.day_log().day == 1
    with pytest.raises(CmsimError, match="slot must be in"):
        inside.follow(10_000)
    with pytest.raises(CmsimError, match="'state' must be one of"):
        inside.follow_state("wizard")


def test_a_run_saves_as_gif_and_as_an_offline_page(inside: InsideTheModel, tmp_path) -> None:
    inside.reset()
    gif = inside.save(tmp_path / "run.gif", days=4)
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 5  # day 0 to day 4
    page = inside.save(tmp_path / "run.html", days=3).read_text()
    assert page.count("data:image/png;base64,") == 4 and "http" not in page.replace("http-equiv", "")
    with pytest.raises(CmsimError, match=r"\.gif or \.html"):
        inside.save(tmp_path / "run.mp4")
    first = Image.open(io.BytesIO(inside.frames(0)[0]))
    assert first.size[0] > 600


def test_bad_settings_are_one_line_errors() -> None:
    with pytest.raises(CmsimError, match="'scenario' must be one of"):
        InsideTheModel("no_such_place")
