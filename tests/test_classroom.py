"""The classroom debrief (cmsim.game.classroom): records made by scripted plays of the game's API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cmsim.errors import CmsimError
from cmsim.game import Game
from cmsim.game.classroom import (
    _separation,
    builtin_scores,
    load_records,
    paths,
    ranking,
    separating_decisions,
)
from cmsim.parameters import LEVERS

WEEKS, MEMBERS, SEED = 3, 300, 4
PLANS = {
    "ada": ["balanced"],
    "ben": ["absent"],
    "cy": ["moderation_first"],
    "dee": [{"self_care": 30}],
    "eve": ["balanced", "absent", "balanced"],
    "fay": [{"responding": 15, "welcoming": 15}],
}


@pytest.fixture(scope="module")
def room(tmp_path_factory) -> tuple[Path, dict[str, float], dict[str, Game]]:
    """A folder of six finished games and one unfinished one, played through the API."""
    folder = tmp_path_factory.mktemp("records")
    scores, games = {}, {}
    for name, plan in PLANS.items():
        g = Game("forum", weeks=WEEKS, seed=SEED, members=MEMBERS, player=name).play(plan)
        g.save(folder / f"{name}.json")
        scores[name], games[name] = g.score(), g
    late = Game("forum", weeks=WEEKS, seed=SEED, members=MEMBERS, player="gus")
    late.advance()
    late.save(folder / "gus.json")
    return folder, scores, games


def test_the_ranking_follows_the_scores_of_the_scripted_plays(room) -> None:
    folder, scores, _ = room
    records = load_records(folder)
    assert len(records) == 7 and records.problems == []
    table = ranking(records)
    finished = table[table["finished"]]
    assert list(finished["player"]) == sorted(scores, key=lambda p: -scores[p])
    assert np.allclose(finished["score"], [scores[p] for p in finished["player"]], rtol=0, atol=1e-12)
    # ties share the best rank (here `absent` and all hours on self-care leave the same community)
    assert list(finished["rank"]) == [
        1 + sum(s > scores[p] for s in scores.values()) for p in finished["player"]
    ]
    last = table.iloc[-1]  # the unfinished game comes last, unranked
    assert last["player"] == "gus" and not last["finished"] and last["weeks_played"] == 1
    assert pd.isna(last["rank"])


def test_paths_hold_every_trainee_and_builtin_day_by_day(room) -> None:
    folder, _, games = room
    records = load_records(folder)
    table = paths(records, "members")
    assert len(table) == 7 * WEEKS
    assert {"ada", "ben", "balanced", "absent", "data_driven"} <= set(table.columns)
    # common random numbers: the trainee who played `balanced` every week is the built-in balanced
    assert table["ada"].equals(table["balanced"])
    assert table["ada"].equals(games["ada"].result().daily["members"].rename("ada"))
    assert table["gus"].notna().sum() == 7  # one week played
    yardstick = builtin_scores(records).set_index("strategy")["score"]
    assert yardstick["balanced"] == pytest.approx(games["ada"].score(), abs=1e-12)  # ada played balanced
    with pytest.raises(CmsimError, match="'nonsense' is not a daily column"):
        paths(records, "nonsense")


def test_separating_decisions_compare_the_top_third_with_the_rest(room) -> None:
    folder, scores, games = room
    sep = separating_decisions(load_records(folder))
    best = sorted(scores, key=lambda p: -scores[p])
    assert sep.top == best[:2] and sep.rest == best[2:]  # ceil(6 / 3) = 2; gus is unfinished
    hours = {p: np.array([[c[k] for k in LEVERS] for c in games[p].choices]) for p in scores}
    top = np.mean([hours[p] for p in sep.top], axis=(0, 1))
    rest = np.mean([hours[p] for p in sep.rest], axis=(0, 1))
    got = sep.levers.set_index("lever").loc[list(LEVERS)]
    assert np.allclose(got["difference"], top - rest)
    week1 = np.mean([hours[p][0] for p in sep.top], axis=0) - np.mean([hours[p][0] for p in sep.rest], axis=0)
    assert np.allclose(sep.phases.set_index("lever").loc[list(LEVERS)].iloc[:, 0], week1)  # early = week 1


def test_separation_of_a_hand_built_class_has_known_answers() -> None:
    # 3 players, 3 weeks: the best puts 10 h on moderation in week 2 only, the rest never do
    hours = np.zeros((3, 3, len(LEVERS)))
    m, r = LEVERS.index("moderation"), LEVERS.index("responding")
    hours[0, 1, m] = 10.0
    hours[1:, :, r] = 4.0  # the rest answer 4 h every week
    sep = _separation(hours, 1, ["a", "b", "c"])
    lev = sep.levers.set_index("lever")
    assert lev.loc["moderation", "difference"] == pytest.approx(10 / 3)
    assert lev.loc["responding", "difference"] == pytest.approx(-4.0)
    assert sep.levers["lever"].iloc[0] == "responding"  # the largest difference first
    assert list(sep.phases.columns) == [
        "lever",
        "early (weeks 1-1)",
        "middle (weeks 2-2)",
        "late (weeks 3-3)",
    ]
    assert sep.phases.set_index("lever").loc["moderation"].tolist() == [0.0, 10.0, 0.0]
    first = sep.weeks.iloc[0]
    assert (
        first["week"] == 2 and first["hours_apart"] == pytest.approx(7.0) and first["lever"] == "moderation"
    )
    assert sep.weeks.set_index("week").loc[1, "hours_apart"] == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", r"bad\.json:1: invalid JSON"),
        ("[1, 2]", r"bad\.json: 'format' is 'list', must be 'cmsim-game-record'"),
        ('{"format": "something else"}', r"bad\.json: 'format' is 'something else'"),
        ("MISSING_SEED", r"bad\.json: 'seed' is None, must be a int"),
        ("BAD_HOURS", r"bad\.json: .*moderation.*"),
        ("WRONG_SCORE", r"bad\.json: replayed score .* differs from the saved 12"),
    ],
)
def test_a_bad_record_file_gives_one_line(room, tmp_path, content: str, message: str) -> None:
    folder, _, _ = room
    good = json.loads((folder / "ada.json").read_text())
    if content == "MISSING_SEED":
        content = json.dumps({k: v for k, v in good.items() if k != "seed"})
    elif content == "BAD_HOURS":
        good["choices"][0]["hours"]["moderation"] = -5
        content = json.dumps(good)
    elif content == "WRONG_SCORE":
        good["score"] = 12.0
        content = json.dumps(good)
    (tmp_path / "bad.json").write_text(content)
    (tmp_path / "ada.json").write_text((folder / "ada.json").read_text())
    with pytest.raises(CmsimError, match=message) as err:
        load_records(tmp_path)
    assert "\n" not in str(err.value)
    lenient = load_records(tmp_path, strict=False)  # the rest of the class is still read
    assert [e.player for e in lenient] == ["ada"] and len(lenient.problems) == 1


def test_records_of_different_games_are_not_mixed(room, tmp_path) -> None:
    folder, _, _ = room
    (tmp_path / "a.json").write_text((folder / "ada.json").read_text())
    Game("forum", weeks=WEEKS, seed=SEED + 1, members=MEMBERS, player="zed").play(["balanced"]).save(
        tmp_path / "z.json"
    )
    records = load_records(tmp_path)
    assert len(records.labels()) == 2
    table = ranking(records)
    assert list(table["rank"]) == [1, 1]  # each first in its own game
    with pytest.raises(CmsimError, match="2 different games"):
        paths(records)
    assert len(records.of(records[0].label)) == 1
    with pytest.raises(CmsimError, match="no such folder"):
        load_records(tmp_path / "missing")
