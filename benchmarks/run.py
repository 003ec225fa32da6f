"""The benchmark of DESIGN §8: seed the large data set, serve it with gunicorn, time each URL.

    .venv/bin/python benchmarks/run.py [--plans 5000] [--requests 30] [--output FILE.md]

Every URL is timed from this client over loopback and reported next to /healthz (a request
that does almost nothing), so the ratio shows what a page costs beyond the fixed overhead of
a request on this machine. Only 127.0.0.1 is contacted; the number of requests is bounded.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))

from strategy_app.services.dataio.bench_data import BENCH_EMAIL, BENCH_PASSWORD  # noqa: E402

HOST = "127.0.0.1"
WARM_UP = 5


@dataclass(frozen=True)
class Target:
    """A URL to time: the status it must answer and how the request is authenticated."""

    path: str
    status: int = 200
    auth: str = "session"  # "none", "session" (signed-in cookie) or "token" (read API token)


# Every page and API list (the API with auth="token"). {objective}, {plan}, {indicator},
# {service} and {review} stand for the first such id in the data set (found through the API
# once seeded); a target whose id the data set lacks is left out and said so.
TARGETS = [
    Target("/healthz", auth="none"),  # the baseline: keep it first
    Target("/login", auth="none"),
    Target("/"),
    Target("/?as_of={last_quarter}"),
    Target("/strategy/"),
    Target("/strategy/service/{service}"),
    Target("/strategy-map/"),
    Target("/objectives/"),
    Target("/objectives/?status=off_track"),
    Target("/objectives/{objective}"),
    Target("/objectives/indicators/{indicator}"),
    Target("/plans/"),
    Target("/plans/?overdue=yes"),
    Target("/plans/{plan}"),
    Target("/departments/"),
    Target("/departments/sales"),
    Target("/timeline/"),
    Target("/reports/alignment"),
    Target("/reports/matrix"),
    Target("/reports/my-updates"),
    Target("/meeting"),
    Target("/meeting/reviews"),
    Target("/exports/"),
    Target("/exports/report"),
    Target("/account/"),
    Target("/admin/users"),
    Target("/admin/departments"),
    Target("/admin/audit"),
    Target("/api/v1/me", auth="token"),
    Target("/api/v1/summary", auth="token"),
    Target("/api/v1/departments", auth="token"),
    Target("/api/v1/users", auth="token"),
    Target("/api/v1/company-strategies", auth="token"),
    Target("/api/v1/service-strategies", auth="token"),
    Target("/api/v1/objectives", auth="token"),
    Target("/api/v1/objectives/{objective}", auth="token"),
    Target("/api/v1/action-plans", auth="token"),
    Target("/api/v1/action-plans/{plan}", auth="token"),
    Target("/api/v1/indicators", auth="token"),
    Target("/api/v1/indicators/{indicator}", auth="token"),
    Target("/api/v1/indicators/{indicator}/measurements", auth="token"),
]

# The API list that gives each id placeholder its first id.
ID_SOURCES = {
    "objective": "/api/v1/objectives?per_page=1",
    "plan": "/api/v1/action-plans?per_page=1",
    "indicator": "/api/v1/indicators?per_page=1",
    "service": "/api/v1/service-strategies?per_page=1",
}


class Client:
    """A tiny HTTP client on http.client that keeps cookies and never follows redirects."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None):
        self.port = port
        self.cookies = dict(cookies or {})

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, text


def sign_in(port: int) -> Client:
    """Sign the bench executive in through the real form; return the signed-in client."""
    client = Client(port)
    status, _, html = client.request("GET", "/login")
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if status != 200 or not found:
        raise SystemExit(f"GET /login answered {status} without a csrf_token field.")
    form = {"email": BENCH_EMAIL, "password": BENCH_PASSWORD, "csrf_token": found.group(1)}
    status, headers, _ = client.request(
        "POST",
        "/login",
        body=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 302 or "/login" in headers.get("Location", ""):
        raise SystemExit(f"Signing in as {BENCH_EMAIL} failed (status {status}).")
    return client


def placeholders(client: Client, token: str) -> dict[str, str]:
    """The values of the {name} placeholders of TARGETS, read from the running app."""
    values = {"last_quarter": time.strftime("%Y-%m-%d", time.localtime(time.time() - 91 * 86400))}
    for name, path in ID_SOURCES.items():
        status, _, text = client.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        items = json.loads(text).get("items") if status == 200 else None
        if items:
            values[name] = str(items[0]["id"])
    return values


def time_target(target: Target, clients: dict[str, Client], token: str, n: int):
    """Warm up, then time n requests; return (statuses seen, durations in ms)."""
    client = clients[target.auth]
    headers = {"Authorization": f"Bearer {token}"} if target.auth == "token" else {}
    statuses, durations = set(), []
    for i in range(WARM_UP + n):
        start = time.perf_counter()
        status, _, _ = client.request("GET", target.path, headers=headers)
        elapsed = (time.perf_counter() - start) * 1000
        statuses.add(status)
        if i >= WARM_UP:
            durations.append(elapsed)
    return statuses, durations


# Whole-portfolio pages whose figures are kept under the data version: each is also timed
# right after a write (one actual posted through the API), when they are computed afresh.
AFTER_A_WRITE = (
    "/",
    "/strategy/",
    "/departments/",
    "/reports/alignment",
    "/meeting",
    "/exports/report",
)


def time_after_write(path: str, clients: dict[str, Client], write_token: str, n: int):
    """Time n GETs of path, each after a new actual: (statuses, durations in ms)."""
    headers = {"Authorization": f"Bearer {write_token}", "Content-Type": "application/json"}
    status, _, text = clients["token"].request(
        "GET", "/api/v1/indicators?per_page=1", headers=headers
    )
    indicator = json.loads(text)["items"][0]["id"] if status == 200 else None
    statuses, durations = set(), []
    for i in range(n):
        body = json.dumps({"date": date.today().isoformat(), "value": float(i), "note": "bench"})
        status, _, _ = clients["token"].request(
            "POST", f"/api/v1/indicators/{indicator}/measurements", body=body, headers=headers
        )
        if status not in (200, 201):
            return {status}, [0.0]
        start = time.perf_counter()
        status, _, _ = clients["session"].request("GET", path)
        durations.append((time.perf_counter() - start) * 1000)
        statuses.add(status)
    return statuses, durations


BATCH_PATH = "/api/v1/measurements/batch"
BATCH_SIZE = 5000  # the most one batch may hold (DESIGN §5)
BATCH_RUNS = 5


def time_batch(client: Client, token: str, values: dict[str, str]):
    """Post BATCH_RUNS all-or-nothing batches of BATCH_SIZE actuals (each run a new set of
    dates, spread over the first indicators); return (statuses, durations in ms)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, _, text = client.request("GET", "/api/v1/indicators?per_page=200", headers=headers)
    ids = [item["id"] for item in json.loads(text)["items"]] if status == 200 else []
    if not ids:
        return {status}, [0.0]
    first = date.fromisoformat(values["last_quarter"]) - timedelta(days=3 * 365)
    statuses, durations = set(), []
    for run in range(BATCH_RUNS):
        items = [
            {
                "indicator_id": ids[n % len(ids)],
                "date": (first + timedelta(days=run * 30 + n // len(ids))).isoformat(),
                "value": float(n % 97),
                "note": "bench",
            }
            for n in range(BATCH_SIZE)
        ]
        body = json.dumps({"items": items})
        start = time.perf_counter()
        status, _, _ = client.request("POST", BATCH_PATH, body=body, headers=headers)
        durations.append((time.perf_counter() - start) * 1000)
        statuses.add(status)
    return statuses, durations


def run_cli(env: dict, *args: str) -> tuple[str, float]:
    """Run `flask --app wsgi ARGS`; return its output and how long it took (seconds)."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip(), time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict, port: int, workers: int, log: Path) -> subprocess.Popen:
    """Start gunicorn and wait until /healthz answers 200."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"{HOST}:{port}", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if Client(port).request("GET", "/healthz")[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"gunicorn did not answer /healthz within 60 s:\n{log.read_text()}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def report(rows: list[tuple], header: str) -> str:
    """The results as a markdown table, /healthz first."""
    base = rows[0][2]
    lines = [
        header,
        "",
        "| URL | status | median ms | p95 ms | × /healthz |",
        "|---|---|--:|--:|--:|",
    ]
    for path, statuses, median, p95 in rows:
        shown = ", ".join(str(s) for s in sorted(statuses))
        lines.append(f"| `{path}` | {shown} | {median:.1f} | {p95:.1f} | {median / base:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plans", type=int, default=5000, help="size of the data set")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per URL")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--no-seed", action="store_true", help="the database is already seeded")
    parser.add_argument("--output", type=Path, help="also write the markdown table here")
    args = parser.parse_args()
    if not 1 <= args.requests <= 1000:
        parser.error("--requests must be between 1 and 1000")

    workdir = Path(tempfile.mkdtemp(prefix="strategy-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    env = {**os.environ, "DATABASE_URL": url, "INSTANCE_PATH": str(workdir)}
    env.update(APP_ENV="development", PYTHONUNBUFFERED="1")
    # The limiter still runs on every API request (its cost is measured); its limits are
    # raised so that hundreds of timed requests a minute from one address are not refused.
    env.update({"API_RATE_LIMIT_PER_TOKEN": "1000000", "API_RATE_LIMIT_PER_ADDRESS": "1000000"})
    env.update({"WEB_RATE_LIMIT_PER_ADDRESS": "1000000", "WEB_RATE_LIMIT_PER_USER": "1000000"})
    env.pop("FIXED_TODAY", None)  # the data is placed around the real today
    proc = None
    try:
        seed_note = "data set already seeded"
        if not args.no_seed:
            run_cli(env, "db", "upgrade")
            print(f"Seeding {args.plans} plans into {url.split('@')[-1]} ...", flush=True)
            counts, seconds = run_cli(env, "seed-bench", "--plans", str(args.plans))
            seed_note = f"seed-bench --plans {args.plans}: {seconds:.1f} s ({counts})"
            print(f"... seeded in {seconds:.1f} s; starting gunicorn", flush=True)
        token, _ = run_cli(
            env, "create-token", "--email", BENCH_EMAIL, "--name", "bench", "--scope", "read"
        )
        port = free_port()
        proc = start_gunicorn(env, port, args.workers, workdir / "gunicorn.log")
        clients = {"none": Client(port), "session": sign_in(port), "token": Client(port)}

        token = token.splitlines()[-1]
        values = placeholders(clients["token"], token)
        rows, failures = [], []
        for template in TARGETS:
            try:
                target = Target(template.path.format(**values), template.status, template.auth)
            except KeyError as missing:
                print(f"Skipped {template.path}: the data set has no {missing}", flush=True)
                continue
            statuses, ms = time_target(target, clients, token, args.requests)
            p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
            rows.append((target.path, statuses, statistics.median(ms), p95))
            if statuses != {target.status}:
                failures.append(f"{target.path}: expected {target.status}, got {sorted(statuses)}")
        write_token, _ = run_cli(
            env, "create-token", "--email", BENCH_EMAIL, "--name", "bench-w", "--scope", "write"
        )
        write_token = write_token.splitlines()[-1]
        for path in AFTER_A_WRITE:
            statuses, ms = time_after_write(path, clients, write_token, args.requests)
            p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
            rows.append((f"{path} after a write", statuses, statistics.median(ms), p95))
            if statuses != {200}:
                failures.append(f"{path} after a write: expected 200, got {sorted(statuses)}")
        statuses, ms = time_batch(clients["token"], write_token, values)
        p95 = max(ms)
        rows.append(
            (f"POST {BATCH_PATH} ({BATCH_SIZE} items)", statuses, statistics.median(ms), p95)
        )
        if statuses != {201}:
            failures.append(f"POST {BATCH_PATH}: expected 201, got {sorted(statuses)}")
    finally:
        if proc is not None:
            stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)

    engine = url.split(":", 1)[0]
    header = (
        f"Benchmark: {args.plans} plans on {engine}, gunicorn -w {args.workers}, "
        f"{args.requests} timed requests per URL after {WARM_UP} warm-up ({time.strftime('%F')}).\n"
        f"{seed_note}"
    )
    table = report(rows, header)
    print(table)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(table, encoding="utf-8")
    for failure in failures:
        print(f"Unexpected status: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
