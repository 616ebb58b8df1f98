"""The `cmsim` console script, run as a user would (the installed entry point, in a subprocess)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cmsim import PARAMS, list_scenarios
from cmsim.cli import COMMANDS, main, params_table

REPO = Path(__file__).resolve().parents[1]


def cmsim_exe() -> str:
    exe = Path(sys.executable).with_name("cmsim")
    found = str(exe) if exe.exists() else shutil.which("cmsim")
    assert found, "the cmsim console script is not installed: run `make setup`"
    return found


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run([cmsim_exe(), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def assert_input_error(result: subprocess.CompletedProcess, *parts: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for part in parts:
        assert part in lines[0], (part, lines[0])


def test_validate_shipped_scenarios():
    files = sorted(str(p.relative_to(REPO)) for p in (REPO / "scenarios").glob("*.yaml"))
    r = run("validate", *files)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f"ok {f}" for f in files]
    assert r.stderr == ""


def test_validate_accepts_shipped_names():
    r = run("validate", "forum", "troll_raid")
    assert r.returncode == 0 and r.stdout.split() == ["ok", "forum", "ok", "troll_raid"]


def test_validate_reports_every_bad_file_and_keeps_going(tmp_path):
    (tmp_path / "bad.yaml").write_text("members:\n  visit_rate: 1.5\n")
    (tmp_path / "good.yaml").write_text("extends: forum\n")
    r = run("validate", "bad.yaml", "good.yaml", cwd=tmp_path)
    assert_input_error(r, "bad.yaml: 'members.visit_rate' must be a number in [0, 1], got 1.5")
    assert r.stdout == "ok good.yaml\n"


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("members:\n  visit_rate: [1\n", ["x.yaml:3: invalid YAML"]),
        ("memebrs: {}\n", ["x.yaml: unknown section 'memebrs'", "did you mean 'members'?"]),
        ("members:\n  post_rat: 0.1\n", ["x.yaml: unknown key 'members.post_rat'", "'members.post_rate'"]),
        (
            "community:\n  initial_members: many\n",
            ["x.yaml: 'community.initial_members'", "an integer", "'many'"],
        ),
        ("community:\n  initial_members: -1\n", ["x.yaml: 'community.initial_members'", "[2, ", "got -1"]),
        ("members:\n  expert_share: 2\n", ["'members.expert_share' must be a number in [0, 1], got 2"]),
        ("manager:\n  hours: 170\n", ["'manager.hours' must be a number in [0, 168], got 170"]),
        ("extends: x.yaml\n", ["x.yaml: extends cycle x -> x"]),
    ],
)
def test_validate_bad_input_exit_2_one_line(tmp_path, text, parts):
    (tmp_path / "x.yaml").write_text(text)
    assert_input_error(run("validate", "x.yaml", cwd=tmp_path), *parts)


def test_missing_file(tmp_path):
    r = run("validate", "nothere.yaml", cwd=tmp_path)
    assert_input_error(r, "no such scenario 'nothere.yaml'", "not a shipped name (", "nor an existing file")


def test_list_shows_scenarios_and_strategies():
    r = run("list")
    assert r.returncode == 0, r.stderr
    for name in list_scenarios():
        assert f"  {name}  " in r.stdout
    assert "strategies:" in r.stdout
    try:
        from cmsim.strategies import BUILTIN
    except ModuleNotFoundError:
        assert "not written" in r.stdout
    else:
        for name in BUILTIN:
            assert name in r.stdout


def test_params_table_and_markdown():
    r = run("params")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0].split()[:5] == ["key", "default", "unit", "range", "description"]
    assert len(lines) == len(PARAMS) + 1
    row = next(line for line in lines if line.startswith("members.visit_rate "))
    assert (
        f"{PARAMS['members.visit_rate'].default:g}" in row
        and "per day" in row
        and "[0, 1]" in row
        and PARAMS["members.visit_rate"].doc in row
    )
    md = run("params", "--markdown", "manager").stdout.splitlines()
    assert md[0] == "| key | default | unit | range | description |"
    assert len(md) == 2 + sum(k.startswith("manager") for k in PARAMS)
    assert md[2].startswith("| `manager.count` | `1` | managers | [0, 1000] |")
    assert "social_media \\| forum" in params_table("community.kind", markdown=True)
    assert_input_error(run("params", "nosuchsection"), "no parameter key starts with 'nosuchsection'")


def test_schema_stdout_and_file(tmp_path):
    r = run("schema")
    assert r.returncode == 0
    schema = json.loads(r.stdout)
    assert schema["$schema"].endswith("2020-12/schema")
    r = run("schema", "--out", str(tmp_path / "s.json"))
    assert r.returncode == 0 and json.loads((tmp_path / "s.json").read_text()) == schema
    assert_input_error(run("schema", "--out", str(tmp_path / "no" / "dir" / "s.json")), "s.json")


def test_usage_errors_exit_2_without_traceback():
    for args in ([], ["nosuchcommand"], ["validate"], ["params", "--bogus"]):
        r = run(*args)
        assert r.returncode == 2 and "Traceback" not in r.stderr, args


def test_version_and_help():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("cmsim ")
    r = run("--help")
    for cmd in COMMANDS:
        assert cmd.name in r.stdout


def test_main_in_process(capsys, tmp_path):
    bad = tmp_path / "b.yaml"
    bad.write_text("members:\n  visit_rate: 2\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'members.visit_rate'" in err
    assert main(["validate", "forum"]) == 0
