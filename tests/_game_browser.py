"""Helpers of the manager game's real-browser test: JupyterLab on 127.0.0.1, Debian's Chromium.

Recipe: /work/shared/BROWSER_TESTING.md. The server gets config, data, runtime and IPython folders
of its own (a user's settings cannot change the result), the news pop-up off, no MPLBACKEND; the
page blocks and counts every request that does not go to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
LOCAL = ("http://127.0.0.1", "data:", "blob:")


def chromium() -> str:
    """The Debian package's real Chromium executable (the `chromium` command is a wrapper script)."""
    for path in ("/usr/lib/chromium/chromium", "/usr/lib/chromium-browser/chromium-browser"):
        if Path(path).exists():
            return path
    pytest.fail("Chromium is not installed: run `make system-deps` as root (the Debian package chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        (tmp / name.lower()).mkdir(parents=True, exist_ok=True)
        env[name] = str(tmp / name.lower())
    settings = Path(env["JUPYTER_DATA_DIR"]) / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    news = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}
    (settings / "overrides.json").write_text(json.dumps(news))
    user = tmp / "lab_user_settings" / "@jupyterlab" / "apputils-extension"
    user.mkdir(parents=True, exist_ok=True)
    (user / "notification.jupyterlab-settings").write_text(json.dumps(news[next(iter(news))]))
    env["JUPYTERLAB_SETTINGS_DIR"] = str(tmp / "lab_user_settings")
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    env["CMSIM_PRECOMPILE"] = "0"
    return env


@contextmanager
def jupyterlab(root: Path, tmp: Path) -> Iterator[str]:
    """JupyterLab serving ``root`` on 127.0.0.1; yields its base URL with ``?token=`` to append."""
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [str(BIN / "jupyter"), "lab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]  # fmt: skip
    log = (tmp / "jupyterlab.log").open("w")
    proc = subprocess.Popen(cmd, env=_env(tmp), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start: see {tmp / 'jupyterlab.log'}")
                time.sleep(0.3)
        yield f"{url}|{token}"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)
        log.close()


def offline(page, blocked: list[str]) -> None:
    """Block (and list in ``blocked``) every request that does not go to 127.0.0.1."""

    def route(r) -> None:
        if r.request.url.startswith(LOCAL):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
