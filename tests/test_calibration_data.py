"""Reading a community's data: names, aliases, gaps, weekly totals, and every kind of bad file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cmsim.calibration.data import COLUMNS, PLATFORMS, read_data
from cmsim.cli import main
from cmsim.errors import DataError


def write(tmp_path, text: str | bytes, name: str = "data.csv"):
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text)
    return p


def test_weekly_rows_canonical_names_and_gaps(tmp_path):
    p = write(
        tmp_path,
        "date,members,posts,new_members\n2024-01-01,100,10,3\n2024-01-08,102,,4\n2024-01-22,105,12,5\n",
    )
    obs = read_data(p)
    assert obs.freq == "weekly" and obs.columns == ["members", "posts", "new_members"]
    w = obs.weekly()
    assert len(w) == 4  # the missing week 2024-01-15 is a gap, not a zero
    assert np.isnan(w.loc[1, "posts"]) and np.isnan(w.loc[2, "members"])
    assert w.loc[3, "posts"] == 12 and obs.first_members() == (100.0, 6)
    assert obs.days == 28 and str(obs.end.date()) == "2024-01-28"


def test_daily_rows_become_weekly_totals_means_and_end_stocks():
    dates = pd.date_range("2024-03-04", periods=15, freq="D").strftime("%Y-%m-%d")
    df = pd.DataFrame({"Date": dates, "members": np.arange(15) + 100, "dau": [10] * 7 + [20] * 8,
                       "posts": [1, 2, 3, 4, 5, 6, 7] + [1] * 8})  # fmt: skip
    df.loc[9, "posts"] = None  # a missing day: week 1's total is unknown
    w = read_data(df).weekly()
    assert len(w) == 2  # the 15th day starts a week that is not complete
    assert w.loc[0, "posts"] == 28 and np.isnan(w.loc[1, "posts"])
    assert w.loc[0, "dau"] == 10 and w.loc[1, "dau"] == 20  # the mean of the days, not their sum
    assert w.loc[0, "members"] == 106 and w.loc[1, "members"] == 113  # the stock on the week's last day


def test_platform_aliases_and_the_one_line_about_ignored_columns():
    df = pd.DataFrame({"Day": ["2024-01-01", "2024-01-08"], "Signups": ["1,204", "990"], "Topics": [40, 38],
                       "Posts": [300, 310], "Flags": [2, 5], "Likes": [9, 9]})  # fmt: skip
    obs = read_data(df, platform="discourse")
    assert obs.columns == ["posts", "all_posts", "new_members", "reports"]  # Topics, Posts, Signups, Flags
    assert obs.frame["new_members"].iloc[0] == 1204  # thousands separator
    assert obs.frame["posts"].iloc[1] == 38 and obs.renamed["Posts"] == "all_posts"
    line = obs.ignored_message
    assert "\n" not in line and "columns the model cannot produce are ignored" in line
    assert "Likes (unknown name)" in line and "Flags" not in line  # the model counts reports (3.0)
    assert {"discourse", "reddit", "discord"} == set(PLATFORMS)
    for page, names in PLATFORMS.values():
        assert page.startswith("https://") and set(names.values()) <= set(COLUMNS)


def test_reports_is_used_once_the_model_has_it():
    df = pd.DataFrame({"date": ["2024-01-01", "2024-01-08"], "reports": [3, 4], "posts": [1, 2]})
    obs = read_data(df, model_columns=("posts", "reports"))
    assert obs.columns == ["posts", "reports"] and not obs.ignored


BAD = [
    ("empty", "", "empty file"),
    ("blank", "\n\n  \n", "empty file"),
    ("binary", b"PK\x03\x04\x00\x00binary", "not a text CSV file"),
    ("no date", "when,posts\n2024-01-01,3\n2024-01-08,4\n", "no date column"),
    ("bad date", "date,posts\n2024-01-01,3\nsoon,4\n", "column 'date', row 3: 'soon' is not a date"),
    ("bad number", "date,posts\n2024-01-01,3\n2024-01-08,lots\n", "column 'posts', row 3: 'lots' is not a number"),
    ("negative", "date,posts\n2024-01-01,3\n2024-01-08,-4\n", "column 'posts', row 3: '-4' must be a count >= 0"),
    ("single row", "date,posts\n2024-01-01,3\n", "only 1 data row (row 2)"),
    ("mixed weekly", "date,posts\n2024-01-01,3\n2024-01-08,4\n2024-01-10,4\n2024-01-17,4\n",
     "row 4: mixed frequencies"),
    ("mixed daily", "date,posts\n" + "".join(f"2024-01-0{d},1\n" for d in range(1, 8))
     + "2024-01-14,1\n2024-01-21,1\n2024-01-28,1\n2024-02-04,1\n", "mixed frequencies: weekly rows inside daily"),
    ("monthly", "date,posts\n2024-01-01,3\n2024-02-01,4\n2024-03-01,4\n", "rows must be daily or weekly"),
    ("repeated date", "date,posts\n2024-01-01,3\n2024-01-01,4\n", "row 3: date 2024-01-01 repeats row 2"),
    ("nothing usable", "date,likes\n2024-01-01,3\n2024-01-08,4\n", "no column the model can produce"),
]  # fmt: skip


@pytest.mark.parametrize("case,text,message", BAD, ids=[c[0] for c in BAD])
def test_bad_data_is_one_line_naming_file_column_and_row(tmp_path, case, text, message):
    p = write(tmp_path, text)
    with pytest.raises(DataError) as info:
        read_data(p)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(p)) and message in msg


@pytest.mark.parametrize("case,text,message", BAD[:9], ids=[c[0] for c in BAD[:9]])
def test_cli_bad_data_exits_2_with_one_line(tmp_path, capsys, case, text, message):
    p = write(tmp_path, text)
    assert main(["calibrate", str(p), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_data(tmp_path / "nope.csv")


def test_daily_export_gives_the_same_weeks_as_the_weekly_one():
    from cmsim.calibration.synthetic import synthetic_data

    cols = ["members", "dau", "posts", "new_members"]
    daily = synthetic_data("forum", {}, members=300, days=28, seed=11, columns=cols, freq="daily")
    weekly = synthetic_data("forum", {}, members=300, days=28, seed=11, columns=cols, freq="weekly")
    assert len(daily) == 28 and len(weekly) == 4
    got, want = read_data(daily).weekly(), read_data(weekly).weekly()
    assert np.allclose(got[["members", "posts", "new_members"]], want[["members", "posts", "new_members"]])
    assert np.allclose(got["dau"], want["dau"], atol=0.5)  # the weekly file rounds the mean to a whole number
