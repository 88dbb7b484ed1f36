"""`make bench`: benchmark databases of each size, measured, and docs/performance.md written.

    .venv/bin/python bench/run.py --sizes "10000 100000 1000000" [--soak-minutes 10]

For each size: the PostgreSQL database bench_<10k|100k|1m> is created, migrated and filled with
`generate_demo_data --persons N` unless it already holds exactly N demo persons (reused). Then
gunicorn serves it on loopback with bench.settings (the site plus a bare 1 KB view; rate limits
OFF), bench/measure.py takes the single-connection figures, and wrk the load figures (16
connections, 30 s, person pages against the bare view). The 10-minute mixed soak runs on the
largest size. Every target is judged against a baseline measured in the same run.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
RESULTS = ROOT / "bench" / "results"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
CONNECTIONS = 16
LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "30"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))


def label(size: int) -> str:
    return f"{size // 1_000_000}m" if size >= 1_000_000 else f"{size // 1000}k"


def env_for(size: int) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/bench_{label(size)}",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "RATELIMIT_ENABLED": "0",
        # As in production: one Redis shared by the workers (and by bench/measure.py, which
        # clears it to time pages as rendered, not as kept).
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"),
        "PYTHONPATH": str(ROOT),
    }


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def sh(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=ROOT, check=True, **kwargs)


def prepare(size: int) -> dict:
    """Create, migrate and fill bench_<size> unless it already holds exactly `size` demo persons."""
    env = env_for(size)
    name = f"bench_{label(size)}"
    host = re.sub(r"^postgres://([^@]+@)?", "", PG).split(":")[0]
    subprocess.run(["createdb", "-h", host, "-U", "postgres", name], capture_output=True)
    sh([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], env)
    probe = sh(
        [
            PYTHON,
            "-c",
            "import django;django.setup();"
            "from casetracker.cases.models import Person;"
            "print(Person.objects.filter(is_demo=True).count())",
        ],
        env,
        capture_output=True,
        text=True,
    )
    present = int(probe.stdout.strip().splitlines()[-1])
    generation = {"reused": present == size}
    if present != size:
        if present:
            log(f"{name}: {present} demo persons, not {size}: removing them")
            sh([PYTHON, "manage.py", "remove_demo_data"], env)
        log(f"{name}: generating {size} demo persons")
        started = time.monotonic()
        sh([PYTHON, "manage.py", "generate_demo_data", "--persons", str(size)], env)
        generation["seconds"] = round(time.monotonic() - started, 1)
        generation["command"] = f"manage.py generate_demo_data --persons {size}"
        # As autovacuum leaves a database some minutes after a bulk load (visibility map, hint
        # bits, statistics): measured in that state, not in the minutes before it.
        sh(["vacuumdb", "-h", host, "-U", "postgres", "--analyze", "--quiet", name], env)
    return generation


class Gunicorn:
    def __init__(self, size: int, workers: int = WORKERS, extra: tuple[str, ...] = ()):
        """The site for bench_<size>: `workers` sync workers, or what `extra` arguments make
        them (bench/pools.py compares worker classes)."""
        self.env = env_for(size)
        self.workers = workers
        self.extra = list(extra)

    def __enter__(self):
        self.process = subprocess.Popen(
            [
                GUNICORN,
                "casetracker.wsgi:application",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
                *self.extra,
            ],
            env=self.env,
            cwd=ROOT,
        )
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/bench/bare/", timeout=2)
                return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)

    def rss_kb(self) -> int:
        """Resident memory of the master and its workers."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        total = 0
        for pid in pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total


def ensure_wrk() -> str:
    if shutil.which("wrk") is None:
        log("installing wrk (apt-get install -y wrk)")
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk")


def lua_paths(paths: list[str]) -> str:
    """A wrk script requesting the given paths round-robin, one list per connection."""
    script = ROOT / "bench" / "results" / "paths.lua"
    quoted = ",\n".join(json.dumps(p) for p in paths)
    script.write_text(
        "local paths = {\n" + quoted + "\n}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i + 1\n"
        "  return wrk.format('GET', paths[(i % #paths) + 1])\n"
        "end\n"
    )
    return str(script)


def wrk(paths: list[str], seconds: int) -> dict:
    args = [
        ensure_wrk(),
        "-t2",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    if len(paths) > 1:
        args += ["-s", lua_paths(paths)]
    args.append(f"http://127.0.0.1:{PORT}{paths[0]}")
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    result = {"command": " ".join(a if "/" not in a else Path(a).name for a in args[:-1]) + " URL"}
    result["requests_per_s"] = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    for pct in ("50", "99"):
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", output).groups()
        result[f"p{pct}_ms"] = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["errors"] = (sum(int(x) for x in errors.groups()) if errors else 0) + (
        int(non2xx.group(1)) if non2xx else 0
    )
    result["requests"] = int(re.search(r"(\d+) requests in", output).group(1))
    return result


def requests_session():
    import requests

    return requests.Session()


def person_paths(size: int, limit: int = 300) -> list[str]:
    probe = sh(
        [
            PYTHON,
            "-c",
            "import django;django.setup();"
            "from casetracker.cases.models import Person;"
            f"print(' '.join(Person.objects.public().order_by('pk').values_list('public_id',"
            f" flat=True)[:{limit}]))",
        ],
        env_for(size),
        capture_output=True,
        text=True,
    )
    return [f"/en/people/{pid}/" for pid in probe.stdout.split()]


def mixed_paths(size: int) -> list[str]:
    from urllib.parse import quote

    persons = person_paths(size, 200)
    searches = [f"/en/search/?q={quote(q)}" for q in ("Tokayev", "Нұрлан", "Ivanova", "Omarov")]
    lists = ["/en/people/?status=detained", "/en/people/?status=released&page=3", "/en/figures/"]
    mixed = []
    for i, person in enumerate(persons):
        mixed.append(person)
        if i % 4 == 0:
            mixed.append(searches[i % len(searches)])
        if i % 6 == 0:
            mixed.append(lists[i % len(lists)])
    mixed.append("/export/persons.csv?status=killed")  # an export now and then
    return mixed


ALL_PARTS = "search,sql_plans,index_effect,export,pages,changelist,load,import"


def measure(size: int, soak_minutes: int, is_largest: bool, parts: str = ALL_PARTS) -> dict:
    result = {"size": size, "generation": prepare(size)}
    result["date"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    result["load_average"] = [round(x, 1) for x in os.getloadavg()]
    with Gunicorn(size) as server:
        log(f"{label(size)}: single-connection measurements")
        measured = sh(
            [
                PYTHON,
                "bench/measure.py",
                "--size",
                str(size),
                "--port",
                str(PORT),
                "--warmup",
                str(5 * WORKERS),
                "--parts",
                ",".join(p for p in parts.split(",") if p not in {"load", "import"}),
            ],
            env_for(size),
            capture_output=True,
            text=True,
        )
        result.update(json.loads(measured.stdout.strip().splitlines()[-1]))
        if "load" not in parts:
            return result
        log(f"{label(size)}: wrk, {CONNECTIONS} connections, {LOAD_SECONDS} s each")
        persons = person_paths(size)
        # Each page read once first: the run measures pages that readers have opened since
        # the last write (kept in the shared cache); their rendering is timed in "pages".
        with requests_session() as session:
            for path in persons:
                session.get(f"http://127.0.0.1:{PORT}{path}", timeout=60)
        result["load"] = {
            "bare": wrk(["/bench/bare/"], LOAD_SECONDS),
            "person pages": wrk(persons, LOAD_SECONDS),
        }
        if is_largest and soak_minutes:
            log(f"{label(size)}: mixed soak, {soak_minutes} min")
            paths = mixed_paths(size)
            minutes = []
            rss_start = server.rss_kb()
            for _minute in range(soak_minutes):
                minutes.append(wrk(paths, 60))
            result["soak"] = {
                "minutes": minutes,
                "rss_start_kb": rss_start,
                "rss_end_kb": server.rss_kb(),
                "paths": len(paths),
            }
    return result


def measure_import() -> dict:
    """100,000 rows through the importer (casetracker/imports), on a fresh scratch database."""
    env = {**env_for(0), "DATABASE_URL": f"{PG}/bench_import"}
    host = re.sub(r"^postgres://([^@]+@)?", "", PG).split(":")[0]
    subprocess.run(["dropdb", "-h", host, "-U", "postgres", "bench_import"], capture_output=True)
    sh(["createdb", "-h", host, "-U", "postgres", "bench_import"], env)
    sh([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], env)
    sh(
        [
            PYTHON,
            "-c",
            "import django;django.setup();from django.contrib.auth import get_user_model;"
            "get_user_model().objects.create_superuser('bench-staff', 'b@example.org', 'x' * 20)",
        ],
        env,
    )
    command = [PYTHON, "manage.py", "bench_import", "--persons", "25000", "--user", "bench-staff"]
    done = sh(["/usr/bin/time", "-v", *command], env, capture_output=True, text=True)
    checked = re.search(r"checked (\d+) rows in ([\d.]+) s", done.stdout)
    applied = re.search(r"applied in ([\d.]+) s: (\w+)", done.stdout)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    rows = int(checked.group(1))
    return {
        "command": "manage.py bench_import --persons 25000 (25,000 persons + 75,000 entries)",
        "rows": rows,
        "checked_s": float(checked.group(2)),
        "applied_s": float(applied.group(1)),
        "state": applied.group(2),
        "rows_per_s": round(rows / (float(checked.group(2)) + float(applied.group(1))), 1),
        "peak_rss_kb": int(peak.group(1)),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split(":", 1)[1].strip()
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    pg = subprocess.run(
        ["psql", PG + "/postgres", "-tAc", "SHOW server_version"], capture_output=True, text=True
    ).stdout.strip()
    load = os.getloadavg()
    return {
        "nproc": os.cpu_count(),
        "memory": memory,
        "cpu": cpu,
        "postgresql": pg,
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 1) for x in load],
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "gunicorn_workers": WORKERS,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "10000 100000 1000000"))
    parser.add_argument(
        "--soak-minutes", type=int, default=int(os.environ.get("BENCH_SOAK_MINUTES", "10"))
    )
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--parts", default=ALL_PARTS, help="A subset of " + ALL_PARTS)
    parser.add_argument(
        "--only", default="", help="Measure only these sizes; the report keeps earlier results."
    )
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split())
    RESULTS.mkdir(exist_ok=True)
    if not args.report_only:
        info = machine()
        (RESULTS / "machine.json").write_text(json.dumps(info, indent=1))
        for size in [int(s) for s in args.only.split()] or sizes:
            result = measure(size, args.soak_minutes, size == sizes[-1], args.parts)
            path = RESULTS / f"{label(size)}.json"
            if args.parts != ALL_PARTS and path.exists():
                # A subset of the parts: keep the other parts' earlier figures.
                result = {**json.loads(path.read_text()), **result}
            path.write_text(json.dumps(result, indent=1))
        if "import" in args.parts:
            log("import of 100,000 rows (bench_import)")
            (RESULTS / "import.json").write_text(json.dumps(measure_import(), indent=1))
    from report import write_report  # bench/report.py

    write_report(RESULTS, ROOT / "docs" / "performance.md", sizes)
    log("wrote docs/performance.md")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "bench"))
    main()
