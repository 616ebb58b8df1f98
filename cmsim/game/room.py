"""Serve the manager game to a room (``make game``): Voilà, one kernel per browser tab, a token.

``python -m cmsim.game.room --host 127.0.0.1 --records records`` serves
``dashboard/game.ipynb`` (the trainee's page: a name, then their own game) with Voilà. Each
browser tab gets a kernel of its own, so every trainee's game is separate; every week played is
saved to the records folder (``<player>_<game>_seed<seed>_<start>_<random>.json``), which
``notebooks/08_classroom_debrief.ipynb`` reads. The server always asks for a token: the trainer's,
or one generated and printed here. The page's code is hidden and tracebacks are not shown.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from cmsim.errors import CmsimError

__all__ = ["NOTEBOOK", "voila_command", "main"]

#: The page every trainee opens.
NOTEBOOK = Path(__file__).resolve().parents[2] / "dashboard" / "game.ipynb"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make game", description="Serve the manager game to a room (Voilà).")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every network)")
    p.add_argument("--port", type=int, default=8866)
    p.add_argument("--records", default="records", help="folder the trainees' games are saved to")
    p.add_argument("--token", default="", help="the room's token (default: a new one, printed)")
    p.add_argument("--exercise", default="", help="an exercise every trainee plays (cmsim exercises)")
    p.add_argument("--scenario", default="", help="the scenario (default forum, or the exercise's)")
    p.add_argument("--weeks", type=int, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--members", type=int, default=None)
    return p


def voila_command(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """The Voilà command line and the environment of its kernels; checks the trainer's choices."""
    from cmsim.game import Game

    if not args.token or not args.token.strip() or len(args.token) < 8:
        raise CmsimError(
            f"--token: {args.token!r} is too short; the room needs a token of 8 characters or more"
        )
    if not 1 <= args.port <= 65535:
        raise CmsimError(f"--port: {args.port} is not a port number (1-65535)")
    # the game every trainee will play, checked once here (a bad exercise is one line, exit 2)
    Game(args.scenario or None, weeks=args.weeks, seed=args.seed, exercise=args.exercise or None,
         members=args.members)  # fmt: skip
    records = Path(args.records).resolve()
    records.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["CMSIM_GAME_RECORDS"] = str(records)
    # the page's template (dashboard/jupyter/voila/templates/cmsim): Voila's lab template without
    # its CDN stylesheets, so a room without internet gets the whole page from the server
    extra = str(NOTEBOOK.parent / "jupyter")
    env["JUPYTER_PATH"] = os.pathsep.join([extra, *filter(None, [os.environ.get("JUPYTER_PATH")])])
    for key in ("exercise", "scenario", "weeks", "seed", "members"):
        value = getattr(args, key)
        if value not in (None, ""):
            env[f"CMSIM_GAME_{key.upper()}"] = str(value)
    cmd = [sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser", f"--Voila.ip={args.host}",
           f"--port={args.port}", f"--token={args.token}", "--theme=light", "--template=cmsim", "--show_tracebacks=False",
           # a closed tab shuts its kernel down (the page's beforeunload); a kernel whose page is
           # gone without saying so (a crashed browser, a laptop put to sleep) goes after an idle hour
           "--MappingKernelManager.cull_idle_timeout=3600", "--MappingKernelManager.cull_interval=300"]  # fmt: skip
    return cmd, env


def main(argv: Sequence[str] | None = None) -> int:
    """Check the choices, print the address with its token, then run Voilà (until Ctrl-C)."""
    args = _parser().parse_args(argv)
    generated = not args.token
    if generated:
        args.token = secrets.token_urlsafe(12)
    try:
        cmd, env = voila_command(args)
    except (CmsimError, OSError) as e:
        print(f"make game: {e}", file=sys.stderr)
        return 2
    shown = socket.gethostname() if args.host in ("0.0.0.0", "::", "") else args.host
    print(f"The manager game for the room: http://{shown}:{args.port}/?token={args.token}", flush=True)
    print(f"  token: {args.token}{' (generated; pass TOKEN=... to choose one)' if generated else ''}")
    print(f"  records saved to: {env['CMSIM_GAME_RECORDS']} (debrief: notebooks/08_classroom_debrief.ipynb)")
    if args.host == "127.0.0.1":
        print("  (this computer only; HOST=0.0.0.0 serves the room's network)")
    print("  Ctrl-C stops the server.", flush=True)
    os.execve(sys.executable, cmd, env)
    return 0  # pragma: no cover - execve does not return


if __name__ == "__main__":
    raise SystemExit(main())
