"""A community's own numbers: reading, checking and aggregating a manager's CSV or DataFrame.

The data are daily or weekly rows with a date and any subset of the columns of :data:`COLUMNS`
(``docs/calibration.md`` explains each, with the platform exports they come from). Gaps are
allowed: a missing row or an empty cell is a gap, not a zero. Every problem is reported by
:class:`~cmsim.errors.DataError` in one line naming the file, the column and the row (rows are
numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2).

The model is compared with the data in **weekly** periods (:meth:`ObservedData.weekly`), so a
weekday rhythm (quiet weekends) that the model does not have cannot count as a misfit.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cmsim.errors import DataError

__all__ = ["Column", "COLUMNS", "ALIASES", "PLATFORMS", "ObservedData", "read_data", "model_can_produce"]


@dataclass(frozen=True)
class Column:
    """One data column the calibration understands.

    Attributes
    ----------
    kind : {"stock", "mean", "flow"}
        How a period's value is formed: a ``stock`` is the value at the period's last day, a
        ``mean`` the mean of the period's daily values, a ``flow`` the total over the period.
    model : tuple of str
        The model's daily output columns (``Run.daily``) whose sum is this column. **The single
        place to extend** when the model gains an output (``reports``: model 3.0).
    unit, doc : str
        What a value counts, in words.
    """

    kind: str
    model: tuple[str, ...]
    unit: str
    doc: str


#: The data columns, in order: canonical name -> :class:`Column`.
COLUMNS: dict[str, Column] = {
    "members": Column("stock", ("members",), "accounts", "members (accounts) at the end of the period"),
    "dau": Column("mean", ("dau",), "members/day", "daily active members (visited that day)"),
    "mau": Column("stock", ("mau",), "members", "monthly active members: seen in the last 30 days"),
    "posts": Column("flow", ("posts",), "posts", "new threads/topics (questions and complaints included)"),
    "replies": Column("flow", ("replies",), "posts", "replies and comments in threads"),
    "all_posts": Column("flow", ("posts", "replies"), "posts", "every post: new threads plus replies"),
    "new_members": Column("flow", ("joins",), "members", "members who joined (sign-ups)"),
    "reports": Column("flow", ("reports",), "reports", "reports (flags) of posts by members"),
    "questions": Column("flow", ("questions",), "posts", "questions asked"),
    "questions_answered": Column("flow", ("questions_answered",), "posts", "questions that got an answer"),
}

#: Names accepted for the date column (case and spacing ignored).
DATE_NAMES: tuple[str, ...] = ("date", "day", "week", "day_pt", "interval_start_timestamp", "period")

#: Platform exports: platform -> (page the names come from, {column name as exported: canonical}).
PLATFORMS: dict[str, tuple[str, dict[str, str]]] = {
    "discourse": (
        "https://meta.discourse.org/t/admin-dashboard-report-reference-guide/240233",
        {
            "signups": "new_members",
            "new users": "new_members",
            "daily engaged users": "dau",
            "topics": "posts",
            "posts": "all_posts",  # Discourse's Posts report counts every regular post, first posts too
            "flags": "reports",
        },
    ),
    "reddit": (
        "https://www.reddit.com/r/modnews/comments/11k9rv0/announcing_mod_insights_a_new_data_tool_for_mod/",
        {
            "subscribers": "members",
            "uniques": "dau",
            "unique visitors": "dau",
            "posts": "posts",
            "comments": "replies",
            "reports": "reports",
            "user reports": "reports",
            "subscriptions": "new_members",
            "new subscribers": "new_members",
        },
    ),
    "discord": (
        "https://discord.com/moderation/1500000179521-341-understanding-your-community-through-insights",
        {
            "total members": "members",
            "total_members": "members",
            "new members": "new_members",
            "new_members": "new_members",
            "visitors": "dau",
            "messages": "all_posts",
            "messages sent": "all_posts",
        },
    ),
}

#: Names every platform shares (the canonical names and a few plain-English ones).
ALIASES: dict[str, str] = {
    **{name: name for name in COLUMNS},
    "new members": "new_members",
    "joins": "new_members",
    "daily active users": "dau",
    "daily active members": "dau",
    "monthly active users": "mau",
    "monthly active members": "mau",
    "flags": "reports",
    "questions answered": "questions_answered",
}

_MISSING = {"", "na", "n/a", "<na>", "nan", "nat", "none", "null", "-", "—"}
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _norm(name: Any) -> str:
    return " ".join(str(name).strip().lower().replace("-", " ").split())


def model_can_produce(column: str, model_columns: tuple[str, ...] | None = None) -> bool:
    """Whether the model's daily table has every output :data:`COLUMNS` maps ``column`` to."""
    if model_columns is None:
        from cmsim.run import DAILY_COLUMNS  # the columns of Run.daily

        model_columns = DAILY_COLUMNS
    return all(c in model_columns for c in COLUMNS[column].model)


@dataclass
class ObservedData:
    """A community's checked data: one row a period, canonical columns, NaN for gaps.

    Attributes
    ----------
    frame : pandas.DataFrame
        Indexed by the period's first date; one float column per understood column.
    freq : {"daily", "weekly"}
        The rows' frequency.
    source : str
        The file name (or ``"DataFrame"``). ``sha256``: hash of the file's bytes (or of the table).
    ignored : list of str
        Columns dropped, each with why (the one-line message :attr:`ignored_message` names them).
    renamed : dict
        Original column name -> canonical name.
    """

    frame: pd.DataFrame
    freq: str
    source: str
    sha256: str
    ignored: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """The understood columns, in :data:`COLUMNS` order."""
        return list(self.frame.columns)

    @property
    def start(self) -> pd.Timestamp:
        return self.frame.index[0]

    @property
    def period_days(self) -> int:
        return 1 if self.freq == "daily" else 7

    @property
    def days(self) -> int:
        """Days from the first period's start to the last period's end."""
        return int((self.frame.index[-1] - self.start).days) + self.period_days

    @property
    def end(self) -> pd.Timestamp:
        """The last day the data cover."""
        return self.start + pd.Timedelta(days=self.days - 1)

    @property
    def ignored_message(self) -> str:
        """One line naming the columns the model cannot produce (empty when none)."""
        return (
            f"{self.source}: columns the model cannot produce are ignored: {', '.join(self.ignored)}"
            if self.ignored
            else ""
        )

    def first_members(self) -> tuple[float, int] | None:
        """The first members count in the data and the day (from the start) its period ends on,
        or None without a ``members`` column."""
        if "members" not in self.frame:
            return None
        values = self.frame["members"].dropna()
        if not len(values):
            return None
        return float(values.iloc[0]), int((values.index[0] - self.start).days) + self.period_days - 1

    def weekly(self) -> pd.DataFrame:
        """The data in weeks from the first date: flows summed, means averaged, stocks at the week's end.

        A daily week counts for a flow only when all seven days are present, for a mean when at
        least four are, for a stock when its last day is; a last week with fewer than seven days
        is dropped. Weekly rows are used as they are (week ``k`` starts ``7k`` days after the start).
        """
        if self.freq == "weekly":
            weeks = ((self.frame.index - self.start).days // 7).to_numpy()
            out = pd.DataFrame(
                index=pd.RangeIndex(self.days // 7, name="week"), columns=self.columns, dtype=float
            )
            out.loc[weeks, :] = self.frame.to_numpy(float)
            return out
        return weekly_from_daily(self.frame.to_numpy(float), self.columns, offset=0,
                                 days=self.days)  # fmt: skip

    def daily_index(self) -> np.ndarray:
        """Day number (from the start) of each row."""
        return (self.frame.index - self.start).days.to_numpy()


def weekly_from_daily(values: np.ndarray, columns: list[str], offset: int, days: int,
                      present: np.ndarray | None = None) -> pd.DataFrame:  # fmt: skip
    """Weekly table of daily ``values`` (``[day, column]``, rows from ``offset``), the rules of
    :meth:`ObservedData.weekly`; ``present`` (``bool[day, column]``) marks gaps (default: not NaN)."""
    n_weeks = days // 7
    vals = values[offset : offset + 7 * n_weeks]
    if present is None:
        present = np.isfinite(values)
    out = np.full((n_weeks, len(columns)), np.nan)
    for j, name in enumerate(columns):
        x = vals[:, j].reshape(n_weeks, 7)
        ok = present[offset : offset + 7 * n_weeks, j].reshape(n_weeks, 7)
        kind = COLUMNS[name].kind
        with np.errstate(invalid="ignore"):
            if kind == "flow":
                out[:, j] = np.where(ok.all(axis=1), np.where(ok, x, 0).sum(axis=1), np.nan)
            elif kind == "mean":
                n = ok.sum(axis=1)
                out[:, j] = np.where(n >= 4, np.where(ok, x, 0).sum(axis=1) / np.maximum(n, 1), np.nan)
            else:
                out[:, j] = np.where(ok[:, -1], x[:, -1], np.nan)
    return pd.DataFrame(out, index=pd.RangeIndex(n_weeks, name="week"), columns=columns)


# --- reading ---------------------------------------------------------------------------------------
def _read_table(path: Path) -> tuple[pd.DataFrame, str]:
    where = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{where}: no such file") from None
    except OSError as e:
        raise DataError(f"{where}: cannot read: {e.strerror or e}") from None
    if not raw.strip():
        raise DataError(f"{where}: empty file: expected a CSV with a header row and a 'date' column")
    nul = raw.find(b"\x00", 0, 8192)
    if nul >= 0:
        raise DataError(f"{where}: not a text CSV file (binary content at byte {nul})")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(f"{where}: not a text CSV file (not UTF-8 at byte {e.start})") from None
    import io

    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True)
    except pd.errors.ParserError as e:
        line = re.search(r"line (\d+)", str(e))
        at = f", row {line.group(1)}" if line else ""
        raise DataError(f"{where}{at}: not a valid CSV: {' '.join(str(e).split())}") from None
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{where}: empty file: expected a CSV with a header row and a 'date' column"
        ) from None
    return df, hashlib.sha256(raw).hexdigest()


def _number(where: str, column: str, row: Any, cell: Any) -> float:
    if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, bool):
        value = float(cell)
        if math.isnan(value):
            return value
    else:
        text = str(cell).strip()
        if text.lower() in _MISSING:
            return float("nan")
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        try:
            value = float(text)
        except ValueError:
            raise DataError(
                f"{where}: column {column!r}, row {row}: {text!r} is not a number (a count >= 0, or empty for a gap)"
            ) from None
    if not math.isfinite(value) or value < 0:
        raise DataError(
            f"{where}: column {column!r}, row {row}: {cell!r} must be a count >= 0 (or empty for a gap)"
        )
    return value


def _date(where: str, column: str, row: Any, cell: Any) -> pd.Timestamp:
    text = str(cell).strip()
    if not text:
        raise DataError(
            f"{where}: column {column!r}, row {row}: the date is empty (every row needs a date, YYYY-MM-DD)"
        )
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError):
        ts = pd.NaT
    if pd.isna(ts):
        raise DataError(f"{where}: column {column!r}, row {row}: {text!r} is not a date (YYYY-MM-DD)")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(None)
    return ts.normalize()


def _frequency(where: str, column: str, dates: list[pd.Timestamp], rows: list[Any]) -> str:
    gaps = np.diff(np.array([d.value for d in dates], dtype=np.int64)) // (86_400 * 10**9)
    for k, g in enumerate(gaps):
        if g == 0:
            raise DataError(
                f"{where}: column {column!r}, row {rows[k + 1]}: date {dates[k + 1].date()} repeats row {rows[k]}"
            )
    values, counts = np.unique(gaps, return_counts=True)
    step = int(values[np.argmax(counts)])  # the most common step (the smaller one of a tie)
    if step not in (1, 7):
        raise DataError(
            f"{where}: column {column!r}: rows must be daily or weekly; the usual step between rows is {step} days"
        )
    freq = "daily" if step == 1 else "weekly"
    if step == 7:
        for k, g in enumerate(gaps):
            if g % 7:
                raise DataError(
                    f"{where}: column {column!r}, row {rows[k + 1]}: mixed frequencies: {g} days after the previous row in weekly data"
                )
    else:  # three weekly steps in a row inside daily data: a weekly part, not gaps
        for k in range(len(gaps) - 2):
            if gaps[k] == gaps[k + 1] == gaps[k + 2] == 7:
                raise DataError(
                    f"{where}: column {column!r}, row {rows[k + 1]}: mixed frequencies: weekly rows inside daily data"
                )
    return freq


def _match_columns(
    where: str, names: list[str], platform: str | None
) -> tuple[str, dict[str, str], list[str]]:
    if platform is not None and platform not in PLATFORMS:
        raise DataError(f"{where}: platform must be one of {', '.join(PLATFORMS)}, got {platform!r}")
    table = dict(ALIASES)
    if platform is not None:
        table.update(PLATFORMS[platform][1])
    date_col = next(
        (n for n in names if _norm(n).replace(" ", "_") in DATE_NAMES or _norm(n) in DATE_NAMES), None
    )
    if date_col is None:
        found = ", ".join(repr(n) for n in names) or "none"
        raise DataError(
            f"{where}: no date column: expected one named {', '.join(map(repr, DATE_NAMES[:3]))}; found columns {found}"
        )
    renamed: dict[str, str] = {}
    unknown: list[str] = []
    for n in names:
        if n == date_col:
            continue
        canonical = table.get(_norm(n)) or table.get(_norm(n).replace(" ", "_"))
        if canonical is None:
            unknown.append(f"{n} (unknown name)")
        elif canonical in renamed.values():
            first = next(k for k, v in renamed.items() if v == canonical)
            raise DataError(f"{where}: columns {first!r} and {n!r} both mean {canonical!r}: keep one")
        else:
            renamed[n] = canonical
    return date_col, renamed, unknown


def read_data(data: str | Path | pd.DataFrame, *, platform: str | None = None,
              model_columns: tuple[str, ...] | None = None) -> ObservedData:  # fmt: skip
    """Read and check a community's data.

    Parameters
    ----------
    data : path or pandas.DataFrame
        A CSV file (UTF-8, header row) or a table with the same columns. Messages number a
        file's rows as a spreadsheet does (the header is row 1) and a table's by position from 0.
    platform : {"discourse", "reddit", "discord"}, optional
        Also accept that platform's export names (:data:`PLATFORMS`).
    model_columns : tuple of str, optional
        The model's daily output columns (default: those of ``Run.daily``); a data column whose
        model outputs are not among them is ignored and named in :attr:`ObservedData.ignored_message`.

    Returns
    -------
    ObservedData

    Raises
    ------
    DataError
        One line naming the file, the column and the row: no date column, a bad date or number, a
        negative count, a repeated date, a single row, an empty or binary file, mixed frequencies.

    Examples
    --------
    >>> df = pd.DataFrame({"Date": ["2024-01-01", "2024-01-08"], "Signups": [12, 9], "Topics": [40, 38]})
    >>> obs = read_data(df, platform="discourse")
    >>> obs.freq, obs.columns
    ('weekly', ['posts', 'new_members'])
    """
    if isinstance(data, pd.DataFrame):
        where, df = "DataFrame", data.reset_index(drop=True).copy()
        digest = hashlib.sha256(
            pd.util.hash_pandas_object(df.astype(str), index=False).to_numpy().tobytes()
        ).hexdigest()
        row_of = [i for i in range(len(df))]
    else:
        path = Path(data)
        where = str(path)
        df, digest = _read_table(path)
        row_of = [i + 2 for i in range(len(df))]
    names = [str(c) for c in df.columns]
    df.columns = names
    date_col, renamed, ignored = _match_columns(where, names, platform)
    if len(df) < 2:
        at = f" (row {row_of[0]})" if len(df) else ""
        raise DataError(f"{where}: only {len(df)} data row{at}: need at least two periods to fit")
    dates = [_date(where, date_col, row_of[i], cell) for i, cell in enumerate(df[date_col])]
    order = np.argsort(np.array([d.value for d in dates]), kind="stable")
    dates = [dates[i] for i in order]
    rows = [row_of[i] for i in order]
    freq = _frequency(where, date_col, dates, rows)
    values: dict[str, np.ndarray] = {}
    for original, canonical in renamed.items():
        col = df[original].to_numpy()
        values[canonical] = np.array([_number(where, original, row_of[i], col[i]) for i in range(len(df))])[
            order
        ]
    kept = {}
    for name in COLUMNS:
        if name not in values:
            continue
        if not model_can_produce(name, model_columns):
            ignored.append(f"{name} (no model output yet)")
        elif np.isnan(values[name]).all():
            ignored.append(f"{name} (empty)")
        else:
            kept[name] = values[name]
    if not kept:
        usable = ", ".join(n for n in COLUMNS if model_can_produce(n, model_columns))
        raise DataError(f"{where}: no column the model can produce: expected any of {usable}")
    frame = pd.DataFrame(kept, index=pd.DatetimeIndex(dates, name="date"))
    renamed = {k: v for k, v in renamed.items() if v in kept}
    return ObservedData(frame, freq, where, digest, ignored, renamed)
