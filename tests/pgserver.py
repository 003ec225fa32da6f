"""Start a throwaway PostgreSQL server for the test session (as `postgres` when run as root)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def _bindir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not candidates:
        raise RuntimeError(
            "PostgreSQL server binaries (pg_ctl) not found;"
            " install them: apt-get install postgresql"
        )
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root, so hand the server to `postgres`.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class Server:
    """A throwaway server that a test can stop and start again (same port, same data)."""

    def __init__(self, bindir: Path, data: Path, log: Path, opts: str, url: str):
        self.bindir, self.data, self.log, self.opts, self.url = bindir, data, log, opts, url

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            _as_server_user([str(self.bindir / "pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._pg_ctl("-o", self.opts, "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: open connections are cut, committed work is kept)."""
        self._pg_ctl("-m", mode, "-w", "stop")


@contextlib.contextmanager
def controlled_server(dbname: str = "strategy_test") -> Iterator[Server]:
    """A fresh database on a new local server, which the caller may stop and start; removed
    after."""
    bindir = _bindir()
    base = Path(tempfile.mkdtemp(prefix="strategy-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    port = _free_port()
    run = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            **run,
        )
        opts = (
            f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/{dbname}"
        server = Server(bindir, data, base / "server.log", opts, url)
        server.start()
        subprocess.run(
            _as_server_user(
                [
                    str(bindir / "createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-U",
                    "postgres",
                    dbname,
                ]
            ),
            **run,
        )
        yield server
    except subprocess.CalledProcessError as exc:
        log = base / "server.log"
        detail = log.read_text() if log.exists() else ""
        raise RuntimeError(f"PostgreSQL failed: {exc.stderr.decode()}\n{detail}") from exc
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_server_user(
                    [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
                ),
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(0.1)
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def running_server(dbname: str = "strategy_test") -> Iterator[str]:
    """Yield the SQLAlchemy URL of a fresh database on a new local server; stop it after."""
    with controlled_server(dbname) as server:
        yield server.url


if __name__ == "__main__":  # manual use: python tests/pgserver.py  (Ctrl-C stops it)
    with running_server() as url:
        print(url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
