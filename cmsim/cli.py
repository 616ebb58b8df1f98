"""The ``cmsim`` console script.

Subcommands are declared in one registry, :data:`COMMANDS`: each is a name, a one-line help, a
function that adds its arguments to an :mod:`argparse` parser, and a function that runs it and
returns the exit status. To add a subcommand, write ``_args_NAME(parser)`` and ``_cmd_NAME(args)``
below and add one ``Command`` line to ``COMMANDS``. Import heavy modules (the simulation core,
matplotlib, pandas) inside ``_cmd_NAME`` so ``cmsim list`` stays fast.

Still to be added by the engineers who own the modules they call (issue tracker):
``check-facts`` (``make facts``).

Every input error (:class:`~cmsim.errors.CmsimError`, a missing file, bad YAML) is printed as one
line on stderr with exit status 2 and no traceback. Usage errors also exit with 2 (argparse).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from cmsim.errors import CmsimError

__all__ = ["main", "COMMANDS", "Command", "build_parser"]


@dataclass(frozen=True)
class Command:
    """One subcommand: ``configure(parser)`` adds its arguments, ``run(args)`` returns the exit code."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# --- list -------------------------------------------------------------------------------------------
def _args_list(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", nargs="?", choices=("scenarios", "strategies"), help="show only one kind")


def _strategies() -> dict[str, str] | None:
    """``cmsim.strategies.BUILTIN`` as ``{name: one line}``, or None while that module is unwritten."""
    import importlib

    try:
        strategies = importlib.import_module("cmsim.strategies")
    except ModuleNotFoundError as e:
        if e.name == "cmsim.strategies":
            return None
        raise
    out = {}
    for name, item in strategies.BUILTIN.items():
        text = item if isinstance(item, str) else getattr(item, "description", None) or item.__doc__ or ""
        out[name] = " ".join(str(text).split())
    return out


def _print_pairs(title: str, pairs: dict[str, str]) -> None:
    print(f"{title}:")
    width = max((len(k) for k in pairs), default=0)
    for name, text in pairs.items():
        print(f"  {name:<{width}}  {text}")


def _cmd_list(args: argparse.Namespace) -> int:
    from cmsim.scenario import list_scenarios

    if args.what in (None, "scenarios"):
        _print_pairs("scenarios", list_scenarios())
    if args.what in (None, "strategies"):
        if args.what is None:
            print()
        found = _strategies()
        if found is None:
            print("strategies:\n  (none yet: cmsim.strategies is not written)")
        else:
            _print_pairs("strategies", found)
    return 0


# --- params -----------------------------------------------------------------------------------------
def _args_params(p: argparse.ArgumentParser) -> None:
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("prefix", nargs="?", default="", help="only keys starting with this (e.g. 'manager')")


def _range(p) -> str:
    if p.choices:
        return " | ".join(p.choices)
    if p.type == "bool":
        return "true | false"
    lo = "-inf" if p.low is None else _num(p.low)
    hi = "inf" if p.high is None else _num(p.high)
    return f"[{lo}, {hi}]"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def params_table(prefix: str = "", markdown: bool = False) -> str:
    """The parameter schema as a text (or Markdown) table: key, default, unit, range, description."""
    from cmsim.parameters import PARAMS

    head = ("key", "default", "unit", "range", "description")
    rows = []
    for key, p in PARAMS.items():
        if key.startswith(prefix):
            default = str(p.default).lower() if p.type == "bool" else f"{p.default}"
            rows.append((key, default, p.unit, _range(p), p.doc))
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in rows:
            cells = [f"`{r[0]}`", f"`{r[1]}`", r[2], r[3].replace("|", "\\|"), r[4].replace("|", "\\|")]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    lines = []
    for r in [head, *rows]:
        lines.append("  ".join(f"{c:<{w}}" for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4])
    return "\n".join(lines)


def _cmd_params(args: argparse.Namespace) -> int:
    table = params_table(args.prefix, args.markdown)
    if table.count("\n") < (2 if args.markdown else 1):
        raise CmsimError(f"no parameter key starts with {args.prefix!r}")
    print(table)
    return 0


# --- schema -----------------------------------------------------------------------------------------
def _args_schema(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, help="write to this file instead of standard output")


def _cmd_schema(args: argparse.Namespace) -> int:
    from cmsim.jsonschema import scenario_schema, write_schema

    if args.out is None:
        print(json.dumps(scenario_schema(), indent=2))
    else:
        write_schema(args.out)
        print(f"wrote {args.out}")
    return 0


# --- validate ---------------------------------------------------------------------------------------
def _args_validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files (or shipped names)")


def _cmd_validate(args: argparse.Namespace) -> int:
    from cmsim.scenario import load_scenario

    status = 0
    for f in args.files:
        try:
            load_scenario(f)
        except CmsimError as e:
            _error(e)
            status = 2
        else:
            print(f"ok {f}")
    return status


# --- compare and demo -------------------------------------------------------------------------------
def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def _args_compare(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="a shipped scenario name or a scenario YAML file")
    p.add_argument(
        "--strategies", required=True, help="comma-separated built-in strategies, e.g. balanced,absent"
    )
    p.add_argument("--seeds", type=_positive, default=30, help="seeds per strategy (default 30)")
    p.add_argument("--days", type=_positive, help="days to simulate (default: the scenario's)")
    p.add_argument("--members", type=_positive, help="initial members (default: the scenario's)")
    p.add_argument("--baseline", help="strategy the others are compared with (default: the first)")
    p.add_argument("--out", type=Path, required=True, help="folder for the tables and figures")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _write_comparison(c, out: Path) -> list[Path]:
    """Write a comparison's tables and figures into ``out``; returns the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    paths = [
        out / "summary.csv",
        out / "runs.csv",
        out / "runs.parquet",
        out / "bands.csv",
        out / "metadata.json",
    ]
    c.summary.to_csv(paths[0], index=False)
    c.to_frame().to_csv(paths[1], index=False)
    c.to_parquet(paths[2])
    c.bands.to_csv(paths[3], index=False)
    paths[4].write_text(json.dumps(c.metadata, indent=1) + "\n", encoding="utf-8")  # (model_version first)
    for name, fig in (("comparison.png", c.plot()), ("differences.png", c.plot_summary())):
        fig.savefig(out / name, dpi=130)
        plt.close(fig)
        paths.append(out / name)
    return paths


def _run_compare(scenario: str, strategies: str, seeds: int, days, members, baseline, out: Path,
                 progress: bool | None) -> int:  # fmt: skip
    from cmsim import compare

    c = compare(scenario, strategies, seeds=seeds, days=days, members=members, baseline=baseline,
                progress=None if progress else False)  # fmt: skip
    paths = _write_comparison(c, out)
    print(c.table().to_string(index=False))
    print(f"\nwrote {', '.join(str(p) for p in paths)}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    return _run_compare(args.scenario, args.strategies, args.seeds, args.days, args.members, args.baseline,
                        args.out, not args.quiet)  # fmt: skip


#: The default comparison of ``cmsim demo`` (and ``make demo``).
DEMO_STRATEGIES = "balanced,community_builder,moderation_first,absent"


def _args_demo(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out", type=Path, default=Path("out"), help="folder for the tables and figures (default out)"
    )
    p.add_argument("--seeds", type=_positive, default=20, help="seeds per strategy (default 20)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _cmd_demo(args: argparse.Namespace) -> int:
    print(f"forum: {DEMO_STRATEGIES.replace(',', ' vs ')}, {args.seeds} seeds each\n")
    return _run_compare(
        "forum", DEMO_STRATEGIES, args.seeds, None, None, "balanced", args.out, not args.quiet
    )


# --- check-facts ------------------------------------------------------------------------------------
def _args_check_facts(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--seeds", type=int, default=None, metavar="N", help="seeds per fact (default: each fact's own)"
    )
    p.add_argument(
        "--quick", action="store_true", help="the CI-sized design: fewer seeds, smaller experiments"
    )


def _cmd_check_facts(args: argparse.Namespace) -> int:
    from cmsim.validation import check_facts

    if args.seeds is not None and args.seeds < 1:
        raise CmsimError(f"--seeds must be at least 1; got {args.seeds}")
    report = check_facts(
        seeds=args.seeds, quick=args.quick, progress=lambda m: print(f"checking {m}", file=sys.stderr)
    )
    print(report.to_text())
    return 0 if report.passed else 1


# --- calibrate --------------------------------------------------------------------------------------
def _args_calibrate(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "data", help="CSV of daily or weekly rows: a date and any of members, dau, mau, posts, ..."
    )
    p.add_argument(
        "--scenario", default="forum", help="base scenario: a shipped name or a YAML file (default forum)"
    )
    p.add_argument(
        "--out", type=Path, required=True, help="folder for the study journal, fitted.yaml and the report"
    )
    p.add_argument(
        "--fit", help="comma-separated parameters to fit (default: the shipped list for the data's columns)"
    )
    p.add_argument(
        "--trials", type=_positive, help="complete trials in the study (default 25 a parameter, >= 40)"
    )
    p.add_argument("--seeds", type=_positive, default=6, help="paired seeds a trial (default 6)")
    p.add_argument("--holdout-weeks", type=int, default=4, help="most recent weeks held out (default 4)")
    p.add_argument(
        "--platform", choices=("discourse", "reddit", "discord"), help="accept that platform's column names"
    )
    p.add_argument(
        "--members", type=_positive, help="members at the first date (default: the data's members column)"
    )
    p.add_argument("--strategy", default="balanced", help="what the manager did during the data period")
    _add_runner_args(p)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from cmsim import calibrate

    fit = [k.strip() for k in args.fit.split(",") if k.strip()] if args.fit else None
    res = calibrate(args.data, args.scenario, fit, trials=args.trials, seeds=args.seeds,
                    holdout_weeks=args.holdout_weeks, out=args.out, strategy=args.strategy,
                    platform=args.platform, members=args.members, workers=args.workers,
                    scheduler=args.scheduler)  # fmt: skip
    print(res.summary())
    print(f"\nwrote {args.out / 'fitted.yaml'} and the report {args.out / 'report.md'}")
    return 0


# --- exercises --------------------------------------------------------------------------------------
def _args_exercises(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "files", nargs="*", metavar="FILE", help="exercise files to check (default: the shipped ones)"
    )


def _cmd_exercises(args: argparse.Namespace) -> int:
    from cmsim.game import list_exercises, load_exercise

    if not args.files:
        exercises = [load_exercise(name) for name in list_exercises()]
        _print_pairs("exercises (cmsim.widgets.ManagerGame(exercise=NAME))",
                     {e.name: f"{e.title}: {e.scenario}, {e.weeks} weeks" for e in exercises})  # fmt: skip
        return 0
    status = 0
    for f in args.files:
        try:
            load_exercise(Path(f) if Path(f).exists() else f)
        except CmsimError as e:
            _error(e)
            status = 2
        else:
            print(f"ok {f}")
    return status


# --- the registry -----------------------------------------------------------------------------------
#: Every subcommand, in the order ``cmsim --help`` lists them. Add new ones here.
# --- sweep, report -----------------------------------------------------------------------------------
def _add_runner_args(p: argparse.ArgumentParser) -> None:
    """Where the runs go, as for ``cmsim sweep`` and ``cmsim calibrate`` alike: ``--workers``,
    ``--scheduler``."""
    p.add_argument(
        "--workers",
        type=_positive,
        help="local worker processes, or the size of --scheduler local (default: every core)",
    )
    p.add_argument(
        "--scheduler", help="'local' (a Dask LocalCluster) or tcp://HOST:PORT of a running Dask scheduler"
    )


def _args_sweep(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="a sweep spec YAML file (see docs/sweeps.md and scenarios/sweeps/)")
    p.add_argument("--out", type=Path, required=True, help="results folder (run the same command to resume)")
    _add_runner_args(p)
    p.add_argument(
        "--force", action="store_true", help="add to a folder made by another spec or model version"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _cmd_sweep(args: argparse.Namespace) -> int:
    from cmsim import sweep

    s = sweep(args.spec, out=args.out, workers=args.workers, scheduler=args.scheduler,
              progress=False if args.quiet else None, allow_changed=args.force)  # fmt: skip
    print(f"{s.spec.name}: {s.runs_done()} of {s.spec.n_runs} runs in {args.out} (cmsim report {args.out})")
    return 0


def _args_report(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", type=Path, help="a sweep's results folder")
    p.add_argument("--out", type=Path, help="folder for the figures and report.html (default DIR/report)")


def _cmd_report(args: argparse.Namespace) -> int:
    from cmsim import open_sweep

    path = open_sweep(args.dir).report(out=args.out)
    print(f"wrote {path}")
    return 0


COMMANDS: list[Command] = [
    Command("list", "list shipped scenarios and built-in strategies", _args_list, _cmd_list),
    Command(
        "params", "print every scenario parameter: default, unit, range, meaning", _args_params, _cmd_params
    ),
    Command("schema", "print (or write) the JSON Schema of scenario files", _args_schema, _cmd_schema),
    Command(
        "validate", "check scenario files; prints 'ok FILE' for each good one", _args_validate, _cmd_validate
    ),
    Command(
        "compare",
        "compare strategies on a scenario over many seeds; tables and figures",
        _args_compare,
        _cmd_compare,
    ),  # fmt: skip
    Command(
        "demo", "the default strategy comparison on the forum scenario (make demo)", _args_demo, _cmd_demo
    ),
    Command(
        "exercises",
        "list the manager game's exercises, or check exercise files",
        _args_exercises,
        _cmd_exercises,
    ),
    Command(
        "check-facts",
        "check the default calibration against the published facts (exit 1 if any fails)",
        _args_check_facts,
        _cmd_check_facts,
    ),
    Command(
        "calibrate",
        "fit a scenario to a community's own data (CSV); writes the fitted scenario and a report",
        _args_calibrate,
        _cmd_calibrate,
    ),
    Command(
        "sweep",
        "run a sweep spec into a results folder (resumable; local workers or Dask)",
        _args_sweep,
        _cmd_sweep,
    ),  # fmt: skip
    Command(
        "report", "figures and a one-page HTML report of a sweep's results folder", _args_report, _cmd_report
    ),  # fmt: skip
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    from cmsim import __version__

    parser = argparse.ArgumentParser(
        prog="cmsim",
        description="Simulate online communities and the strategies of their managers.",
        epilog="See README.md and docs/ for more; `cmsim COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"cmsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.configure(p)
        p.set_defaults(_run=cmd.run)
    return parser


def _error(e: BaseException) -> None:
    text = str(e) if not isinstance(e, yaml.YAMLError) else f"invalid YAML: {e}"
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        text = f"{e.filename}: {e.strerror}"
    print(" ".join(text.split()) or type(e).__name__, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input or usage)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except (CmsimError, OSError, yaml.YAMLError) as e:
        if isinstance(e, BrokenPipeError):  # `cmsim params | head`: stop quietly
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        _error(e)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
