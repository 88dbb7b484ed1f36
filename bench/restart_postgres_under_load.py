"""Restart PostgreSQL under load and count what the clients saw.

    DEBUG=1 .venv/bin/python bench/restart_postgres_under_load.py [--duration 20] [--restart-at 6]

Creates a database of its own (securityhelper_bench by default), migrates it and loads the motion,
serves it with gunicorn on loopback, and runs a bounded loop of requests from several threads.
Midway it restarts PostgreSQL (`pg_ctlcluster --skip-systemctl-redirect 15 main restart`) and
notes when the server accepts connections again. Requests started after that must all succeed:
each request checks its persistent connection first (CONN_HEALTH_CHECKS) and opens a new one if
the old one died. Failures of requests in flight during the restart are counted and reported.

Rate limits are OFF for this benchmark (RATELIMIT_ENABLED=0): it sends many requests from one
address on purpose. It runs in development mode (DEBUG=1) so no collected static files are needed;
connection handling is the same as in production (CONN_MAX_AGE=60, health checks on).

It restarts the machine's PostgreSQL cluster: anything else using it sees the restart too.
Writes its result to docs/performance-faults.md (--write) and prints it.
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
RESTART = ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"]


@dataclass
class Outcome:
    path: str
    started: float
    ended: float
    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400


def run(args: list[str], env: dict) -> None:
    subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare_database(name: str, env: dict) -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    run([str(BIN / "python"), "manage.py", "migrate", "--no-input", "-v", "0"], env)
    run([str(BIN / "python"), "manage.py", "load_motion"], env)


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not start on port {port}")


def public_paths(base: str) -> list[str]:
    address = f"{base}/api/persons/?page_size=20"
    with urllib.request.urlopen(address, timeout=10) as response:  # noqa: S310 (http://127.0.0.1)
        data = json.load(response)
    ids = [row["public_id"] for row in data.get("results", data)][:20]
    return [
        "/en/people/",
        "/en/incidents/",
        "/en/search/?q=karimova",
        "/en/figures/?as_of=2022-01-10",
        "/api/persons/",
        *(f"/en/people/{public_id}/" for public_id in ids),
    ]


def load(base: str, paths: list[str], until: float, outcomes: list[Outcome], lock) -> None:
    rng = random.Random()  # noqa: S311 (choosing pages, not secrets)
    while time.monotonic() < until:
        path = rng.choice(paths)
        started = time.monotonic()
        status, error = None, ""
        try:
            with urllib.request.urlopen(base + path, timeout=15) as response:  # noqa: S310
                response.read()
                status = response.status
        except urllib.error.HTTPError as failure:
            status, error = failure.code, f"HTTP {failure.code}"
        except OSError as failure:
            error = type(failure).__name__
        with lock:
            outcomes.append(Outcome(path, started, time.monotonic(), status, error))


def accepting(dsn: dict) -> bool:
    try:
        psycopg2.connect(connect_timeout=1, **dsn).close()
        return True
    except psycopg2.OperationalError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="securityhelper_bench")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--restart-at", type=float, default=6.0)
    parser.add_argument("--write", action="store_true", help="write docs/performance-faults.md")
    options = parser.parse_args()

    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{options.db}",
        "RATELIMIT_ENABLED": "0",
        "REDIS_URL": "",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }
    prepare_database(options.db, env)
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "casetracker.wsgi",
            "--bind",
            f"127.0.0.1:{options.port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{options.port}"
    dsn = {"dbname": options.db, "user": "postgres", "host": "127.0.0.1", "port": 5432}
    try:
        wait_for_port(options.port)
        paths = public_paths(base)
        outcomes: list[Outcome] = []
        lock = threading.Lock()
        start = time.monotonic()
        until = start + options.duration
        workers = [
            threading.Thread(target=load, args=(base, paths, until, outcomes, lock))
            for _ in range(options.threads)
        ]
        for worker in workers:
            worker.start()
        time.sleep(options.restart_at)
        restart_began = time.monotonic()
        subprocess.run(RESTART, check=True)
        restart_returned = time.monotonic()
        while not accepting(dsn):
            time.sleep(0.05)
        accepting_again = time.monotonic()
        for worker in workers:
            worker.join()
    finally:
        server.terminate()
        server.wait(timeout=30)

    before = [o for o in outcomes if o.ended < restart_began]
    during = [o for o in outcomes if o.ended >= restart_began and o.started < accepting_again]
    after = [o for o in outcomes if o.started >= accepting_again]
    failed_during = [o for o in during if not o.ok]
    failed_after = [o for o in after if not o.ok]
    failed_before = [o for o in before if not o.ok]
    latencies = sorted((o.ended - o.started) * 1000 for o in after if o.ok)
    errors = sorted({o.error for o in failed_during + failed_after if o.error})
    report = f"""# Faults: restarting PostgreSQL under load

Measured on {time.strftime("%Y-%m-%d")} by `bench/restart_postgres_under_load.py` (run:
`DEBUG=1 .venv/bin/python bench/restart_postgres_under_load.py --write`):
gunicorn (2 workers x 4 threads) on loopback, {options.threads} client threads for
{options.duration:.0f} s over {len(paths)} public pages and API addresses of the seeded motion,
PostgreSQL 15 restarted {options.restart_at:.0f} s in with
`pg_ctlcluster --skip-systemctl-redirect 15 main restart`. **Rate limits were off for this
benchmark** (RATELIMIT_ENABLED=0: one address sends every request). Development mode (DEBUG=1,
so no collected static files are needed); persistent connections and their health checks as in
production (CONN_MAX_AGE=60, CONN_HEALTH_CHECKS on).

| | requests | failed |
|---|---:|---:|
| finished before the restart began | {len(before)} | {len(failed_before)} |
| in flight or started while PostgreSQL was down | {len(during)} | {len(failed_during)} |
| started after PostgreSQL accepted connections again | {len(after)} | **{len(failed_after)}** |

- The restart command took {restart_returned - restart_began:.2f} s; PostgreSQL accepted
  connections again {accepting_again - restart_began:.2f} s after the restart began.
- Failures while it was down: {", ".join(errors) if errors else "none"} (each is a 500 from a
  request whose database connection was cut, or that could not connect).
- After it was back, median latency {statistics.median(latencies) if latencies else 0:.0f} ms,
  slowest {max(latencies) if latencies else 0:.0f} ms over {len(latencies)} requests.
- Requests started after PostgreSQL accepted connections again and failed: {len(failed_after)}.
  Each request checks its persistent connection before use (CONN_HEALTH_CHECKS) and reconnects if
  the restart closed it, so no stale connection reaches a view.
"""
    print(report)
    if options.write:
        (ROOT / "docs" / "performance-faults.md").write_text(report)
    return 1 if failed_after else 0


if __name__ == "__main__":
    sys.exit(main())
