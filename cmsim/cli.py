"""The ``cmsim`` console script.

Subcommands are declared in one registry, :data:`COMMANDS`: each is a name, a one-line help, a
function that adds its arguments to an :mod:`argparse` parser, and a function that runs it and
returns the exit status. To add a subcommand, write ``_args_NAME(parser)`` and ``_cmd_NAME(args)``
below and add one ``Command`` line to ``COMMANDS``. Import heavy modules (the simulation core,
matplotlib, pandas) inside ``_cmd_NAME`` so ``cmsim list`` stays fast.

Still to be added by the engineers who own the modules they call (issue tracker):
``demo`` (``make demo``: ``cmsim demo --out out``), ``compare``, ``check-facts`` (``make facts``)
and ``sweep``.

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


# --- the registry -----------------------------------------------------------------------------------
#: Every subcommand, in the order ``cmsim --help`` lists them. Add new ones here.
COMMANDS: list[Command] = [
    Command("list", "list shipped scenarios and built-in strategies", _args_list, _cmd_list),
    Command(
        "params", "print every scenario parameter: default, unit, range, meaning", _args_params, _cmd_params
    ),
    Command("schema", "print (or write) the JSON Schema of scenario files", _args_schema, _cmd_schema),
    Command(
        "validate", "check scenario files; prints 'ok FILE' for each good one", _args_validate, _cmd_validate
    ),
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
