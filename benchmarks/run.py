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
import platform
import re
import shutil
import socket
import sqlite3
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
    # Two slides as meeting.js fetches them on →: a department's expected vs actual, and
    # the changes since the last review (compare.py between two days).
    Target("/meeting/slides/slide-department-sales-results?fragment=1"),
    Target("/meeting/slides/slide-changes?fragment=1"),
    Target("/meeting/reviews"),
    Target("/service-health"),
    Target("/service-health/assessments"),
    Target("/nps/"),
    Target("/nps/follow-ups"),
    Target("/search?q=customer"),
    Target("/objectives/indicators/"),
    Target("/objectives/indicators/?status=off_track"),
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
    Target("/api/v1/assessments", auth="token"),
    Target("/api/v1/nps-responses", auth="token"),
    Target("/api/v1/nps?by=month", auth="token"),
    Target("/api/v1/follow-ups", auth="token"),
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


def get(client: Client, path: str, headers: dict) -> tuple[int, float]:
    """One GET: (status, milliseconds until the whole answer was read)."""
    start = time.perf_counter()
    status, _, _ = client.request("GET", path, headers=headers)
    return status, (time.perf_counter() - start) * 1000


@dataclass
class Server:
    """One gunicorn serving one seeded data set, with its signed-in clients and tokens."""

    plans: int
    proc: subprocess.Popen
    clients: dict[str, Client]
    token: str
    write_token: str
    values: dict[str, str]

    def headers(self, auth: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if auth == "token" else {}

    def path(self, template: str) -> str:
        return template.format(**self.values)

    def write(self, i: int) -> int:
        """Post one actual through the API (a write every cache must notice); its status."""
        headers = {
            "Authorization": f"Bearer {self.write_token}",
            "Content-Type": "application/json",
        }
        body = json.dumps({"date": date.today().isoformat(), "value": float(i), "note": "bench"})
        path = f"/api/v1/indicators/{self.values['indicator']}/measurements"
        return self.clients["token"].request("POST", path, body=body, headers=headers)[0]


def as_of(path: str, day: str) -> str:
    """path with ?as_of=day added."""
    return f"{path}{'&' if '?' in path else '?'}as_of={day}"


def time_target(target: Target, servers: list[Server], n: int, warm_up: int = WARM_UP):
    """Warm up, then time n GETs on each server, interleaved (request i on every server
    before request i + 1) so that the machine's drift affects them alike.
    Returns (statuses seen, [durations in ms per server])."""
    statuses, durations = set(), [[] for _ in servers]
    for i in range(warm_up + n):
        for k, server in enumerate(servers):
            client = server.clients[target.auth]
            status, ms = get(client, server.path(target.path), server.headers(target.auth))
            statuses.add(status)
            if i >= warm_up:
                durations[k].append(ms)
    return statuses, durations


def time_after_write(target: Target, server: Server, n: int):
    """Time n GETs of the target, each right after a new actual: (statuses, durations)."""
    statuses, durations = set(), []
    for i in range(n):
        written = server.write(i)
        if written not in (200, 201):
            return {written}, [0.0]
        client = server.clients[target.auth]
        status, ms = get(client, server.path(target.path), server.headers(target.auth))
        durations.append(ms)
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


WARM_LIMIT_MS = 50  # DESIGN §8: every page and API list's median server time
TARGETS_TEXT = (
    "Targets (DESIGN §8, issues 12 and 17): median ≤ 50 ms and ≤ 10× /healthz; 5,000-plan "
    "median ≤ 1.5× the 500-plan median; for pages, the first request after a write ≤ 2× warm "
    "and as of a past date ≤ 3× today (the API's ratios are shown without a target)."
)


def machine() -> str:
    """The machine the run measured: processor, cores, memory, Python and SQLite versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(
            int(line.split()[1]) // 1024 // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        ram = f", {memory} GB"
    except (OSError, StopIteration, ValueError):
        ram = ""
    load = f", load {os.getloadavg()[0]:.1f} at the end" if hasattr(os, "getloadavg") else ""
    return (
        f"{cpu}, {os.cpu_count()} cores{ram}{load}; Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}"
    )


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def cell(value: float | None, fmt: str = "{:.1f}", limit: float | None = None) -> str:
    """A table cell; a ratio over its limit is marked with ⚠."""
    if value is None:
        return "—"
    text = fmt.format(value)
    return f"{text} ⚠" if limit is not None and value > limit else text


def report(rows: list[Row], header: str) -> str:
    """The results as a markdown table, /healthz first."""
    base = rows[0].warm
    lines = [
        header,
        "",
        TARGETS_TEXT,
        "",
        "| URL | status | warm ms | × /healthz | 500 plans ms | growth × | after a write ms "
        "| × warm | as of ms | × warm |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        shown = ", ".join(str(s) for s in sorted(row.statuses))
        page = not row.path.startswith(("/api/", "POST "))  # targets of pages only: no limit
        after_limit, past_limit = (2, 3) if page else (None, None)
        lines.append(
            f"| `{row.path}` | {shown} | {cell(row.warm, limit=WARM_LIMIT_MS)}"
            f" | {cell(ratio(row.warm, base), limit=10)}"
            f" | {cell(row.small)} | {cell(ratio(row.warm, row.small), '{:.2f}', 1.5)}"
            f" | {cell(row.after)} | {cell(ratio(row.after, row.warm), '{:.2f}', after_limit)}"
            f" | {cell(row.past)} | {cell(ratio(row.past, row.warm), '{:.2f}', past_limit)} |"
        )
    return "\n".join(lines) + "\n"


@dataclass
class Row:
    """One line of the table: medians in ms (None where not measured)."""

    path: str
    statuses: set
    warm: float
    small: float | None = None
    after: float | None = None
    past: float | None = None


def start_server(plans: int, url: str, workdir: Path, args, seed: bool) -> Server:
    """Migrate and seed url (unless seed is False), make tokens, start gunicorn, sign in."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": url, "INSTANCE_PATH": str(workdir)}
    env.update(APP_ENV="development", PYTHONUNBUFFERED="1")
    # The limiter still runs on every API request (its cost is measured); its limits are
    # raised so that thousands of timed requests a minute from one address are not refused.
    env.update({"API_RATE_LIMIT_PER_TOKEN": "10000000", "API_RATE_LIMIT_PER_ADDRESS": "10000000"})
    env.update({"WEB_RATE_LIMIT_PER_ADDRESS": "10000000", "WEB_RATE_LIMIT_PER_USER": "10000000"})
    env.pop("FIXED_TODAY", None)  # the data is placed around the real today
    if seed:
        run_cli(env, "db", "upgrade")
        print(f"Seeding {plans} plans into {url.split('@')[-1]} ...", flush=True)
        counts, seconds = run_cli(env, "seed-bench", "--plans", str(plans))
        print(f"... seeded in {seconds:.1f} s ({counts})", flush=True)
    tokens = [
        run_cli(env, "create-token", "--email", BENCH_EMAIL, "--name", f"bench-{s}", "--scope", s)
        for s in ("read", "write")
    ]
    token, write_token = (out.splitlines()[-1] for out, _ in tokens)
    port = free_port()
    proc = start_gunicorn(env, port, args.workers, workdir / "gunicorn.log")
    try:
        clients = {"none": Client(port), "session": sign_in(port), "token": Client(port)}
        values = placeholders(clients["token"], token)
    except BaseException:
        stop(proc)
        raise
    return Server(plans, proc, clients, token, write_token, values)


def measure(template: Target, large: Server, small: Server | None, n: int) -> Row | str:
    """Every figure of one target, or the reason it was left out."""
    try:
        large.path(template.path)
        if small:
            small.path(template.path)
    except KeyError as missing:
        return f"the data set has no {missing}"
    servers = [large, small] if small else [large]
    statuses, ms = time_target(template, servers, n)
    row = Row(large.path(template.path), statuses, statistics.median(ms[0]))
    if small:
        row.small = statistics.median(ms[1])
    if template.auth != "none":
        seen, after = time_after_write(template, large, n)
        row.statuses |= seen
        row.after = statistics.median(after)
        if "as_of=" not in template.path:
            past = Target(as_of(template.path, large.values["last_quarter"]), auth=template.auth)
            seen, ms = time_target(past, [large], n)
            row.statuses |= seen
            row.past = statistics.median(ms[0])
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plans", type=int, default=5000, help="size of the data set")
    parser.add_argument(
        "--small-plans", type=int, default=500, help="the smaller data set (0: no growth column)"
    )
    parser.add_argument("--requests", type=int, default=30, help="timed requests per URL")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--small-database-url", help="the same, for the smaller data set")
    parser.add_argument("--no-seed", action="store_true", help="the databases are already seeded")
    parser.add_argument("--output", type=Path, help="also write the markdown table here")
    args = parser.parse_args()
    if not 1 <= args.requests <= 1000:
        parser.error("--requests must be between 1 and 1000")

    workdir = Path(tempfile.mkdtemp(prefix="strategy-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'large' / 'bench.db'}"
    small_url = args.small_database_url or f"sqlite:///{workdir / 'small' / 'bench.db'}"
    servers: list[Server] = []
    rows, failures = [], []
    try:
        large = start_server(args.plans, url, workdir / "large", args, not args.no_seed)
        servers.append(large)
        small = None
        if args.small_plans:
            small = start_server(
                args.small_plans, small_url, workdir / "small", args, not args.no_seed
            )
            servers.append(small)
        for template in TARGETS:
            row = measure(template, large, small, args.requests)
            if isinstance(row, str):
                print(f"Skipped {template.path}: {row}", flush=True)
                continue
            print(f"{row.path}: {row.warm:.1f} ms", flush=True)
            rows.append(row)
            if row.statuses != {template.status}:
                failures.append(
                    f"{row.path}: expected {template.status}, got {sorted(row.statuses)}"
                )
        statuses, ms = time_batch(large.clients["token"], large.write_token, large.values)
        rows.append(Row(f"POST {BATCH_PATH} ({BATCH_SIZE} items)", statuses, statistics.median(ms)))
        if statuses != {201}:
            failures.append(f"POST {BATCH_PATH}: expected 201, got {sorted(statuses)}")
    finally:
        for server in servers:
            stop(server.proc)
        shutil.rmtree(workdir, ignore_errors=True)

    engine = url.split(":", 1)[0]
    sizes = f"{args.plans} plans" + (f" (and {args.small_plans})" if args.small_plans else "")
    header = (
        f"Benchmark: {sizes} on {engine}, gunicorn -w {args.workers}, "
        f"{args.requests} timed requests per URL after {WARM_UP} warm-up ({time.strftime('%F')}; "
        f'{machine()}). Medians in ms; "after a write": each GET right after one '
        f'actual posted through the API; "as of": the same URL with ?as_of= 91 days ago.'
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
