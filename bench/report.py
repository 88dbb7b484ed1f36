"""docs/performance.md from bench/results/*.json: each figure with its command, size, machine."""

import json
from pathlib import Path

MILLION = 1_000_000


def label(size: int) -> str:
    return f"{size // MILLION}m" if size >= MILLION else f"{size // 1000}k"


def human(size: int) -> str:
    return f"{size // MILLION}M" if size >= MILLION else f"{size // 1000}k"


def verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("**met**" if ok else "**missed**")


def write_report(results_dir: Path, out: Path, sizes: list[int]) -> None:
    machine = json.loads((results_dir / "machine.json").read_text())
    runs = {}
    for size in sizes:
        path = results_dir / f"{label(size)}.json"
        if path.exists():
            runs[size] = json.loads(path.read_text())
    measured = sorted(runs)
    small, big = (measured[0], measured[-1]) if measured else (None, None)
    at_million = MILLION in runs
    # Targets "at 1M" are judged at the largest size measured, and the verdict says so.
    where = "1M" if at_million else f"{human(big)} (1M not measured)" if big else "-"

    def scope(part: str) -> tuple:
        """Smallest and largest size measured for this part, and how to say where."""
        having = [size for size in measured if part in runs[size]]
        if not having:
            return None, None, "-", False
        top = having[-1]
        said = "1M" if top == MILLION else f"{human(top)} (1M not measured)"
        return having[0], top, said, top == MILLION

    lines = [
        "# Performance",
        "",
        "Written by `make bench` (bench/run.py, bench/measure.py, bench/export_probe.py, "
        "bench/report.py). Each target is judged against a baseline measured in the same run, "
        "on the same machine; absolute figures are for this machine only.",
        "",
        f"- Date: {machine['date']}",
        f"- Machine: {machine['nproc']} cores ({machine['cpu']}), {machine['memory']} memory; "
        f"PostgreSQL {machine['postgresql']}; Python {machine['python']}",
        f"- Load average when the run started: {machine['load_average_at_start']}, and per size "
        "below (other work on the machine inflates absolute times; the ratios less so)",
        f"- Server: gunicorn, {machine['gunicorn_workers']} sync workers, bench.settings "
        "(production mode, DEBUG off) on 127.0.0.1",
        "- **Rate limits were OFF for every run (RATELIMIT_ENABLED=0)**: the load runs send "
        "thousands of requests from one address on purpose.",
        "- Data: `manage.py generate_demo_data --persons N` (seed 1) in databases bench_10k, "
        "bench_100k, bench_1m. Sizes measured: " + ", ".join(human(s) for s in measured),
        "",
        "| size | measured | load average | persons | public persons | status entries "
        "| generation |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, run in runs.items():
        gen = run["generation"]
        generated = "reused" if gen.get("reused") else f"{gen['seconds']} s"
        c = run["counts"]
        lines.append(
            f"| {human(size)} | {run.get('date', machine['date'])} | {run.get('load_average', '')} "
            f"| {c['persons']} | {c['public_persons']} | {c['status_entries']} "
            f"| {generated} |"
        )

    summary_rows = []

    # Search over HTTP vs bare SQL
    lines += ["", "## Name search over HTTP vs the bare SQL of the same search", ""]
    searched = next((run["search"] for run in runs.values() if "search" in run), {})
    lines += [
        "Command: `bench/measure.py --parts search` (15 mixed queries: Latin, Cyrillic, reversed, "
        f"typos, prefixes; each query {searched.get('repeat', 5)} times after "
        f"{searched.get('warmup', 1)} untimed requests; 1 connection, one request at a time, "
        "through gunicorn, with `requests`). "
        "Bare SQL: every statement the search page runs for the query (the engine's vocabulary "
        "lookup and candidate statement, and the page's records; captured once with Django's "
        "test client), replayed on a cursor in the measuring process with nothing around it. "
        "Added = HTTP minus that: ranking, model instances, template, middleware and HTTP. "
        "Bare view: `/bench/bare/`, a fixed 1 KB page through the same middleware, gunicorn "
        'and client, timed the same way: the part of "added" that any page pays.',
        "",
        "| size | HTTP p50 | HTTP p95 | SQL p50 | SQL p95 | added p50 (median over queries) "
        "| bare view p50 |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, run in runs.items():
        s = run.get("search")
        if s:
            lines.append(
                f"| {human(size)} | {s['http']['p50_ms']} ms | {s['http']['p95_ms']} ms | "
                f"{s['sql']['p50_ms']} ms | {s['sql']['p95_ms']} ms | {s['added_p50_ms']} ms "
                f"| {s.get('bare_view_p50_ms', '-')} ms |"
            )
    added_ok = all(run["search"]["added_p50_ms"] <= 10 for run in runs.values() if "search" in run)
    summary_rows.append(
        (
            "search: added time p50 ≤ 10 ms",
            ", ".join(human(s) for s in measured if "search" in runs[s]),
            added_ok,
        )
    )
    small, big, where, at_million = scope("search")
    if big:
        p95_big = runs[big]["search"]["http"]["p95_ms"]
        summary_rows.append((f"search: p95 total < 100 ms ({p95_big} ms)", where, p95_big < 100))
    if at_million and 100_000 in runs:
        ratio = (
            runs[MILLION]["search"]["http"]["p95_ms"] / runs[100_000]["search"]["http"]["p95_ms"]
        )
        summary_rows.append(
            (f"search: p95 1M ≤ 1.2x p95 100k ({ratio:.2f}x)", "1M/100k", ratio <= 1.2)
        )
    else:
        summary_rows.append(("search: p95 1M ≤ 1.2x p95 100k", "1M not measured", None))
    lines += ["", "Per query at the largest size:", "", "| query | HTTP p50 | SQL p50 | added |"]
    lines += ["|---|---|---|---|"]
    if big:
        for q in runs[big]["search"]["queries"]:
            lines.append(
                f"| {q['query']} | {q['http_p50_ms']} ms | {q['sql_p50_ms']} ms | "
                f"{q['added_p50_ms']} ms |"
            )

    # Indexed vs seq scan
    lines += ["", "## The search SQL, indexed vs forced to a sequential scan", ""]
    small, big, where, at_million = scope("sql_plans")
    plans = dict(runs[big].get("sql_plans") or {}) if big else None
    every_query = plans.pop("every_query", None) if plans else None
    if plans:
        lines += [
            f"At {human(big)}. Command: `bench/measure.py --parts sql_plans` (EXPLAIN ANALYZE, "
            "median of 3 indexed and 2 sequential runs; the sequential scan forced with "
            "`SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off`). Each figure "
            "is the sum over the two statements the engine runs for the query's candidates: the "
            "vocabulary lookup (near misses of each word), then one statement of up to three "
            "steps, keys holding the words exactly, keys holding each word's likeliest near "
            "miss, keys holding any near miss, each read only when those before it found fewer "
            "than 500; the plans follow, statement by statement.",
            "",
            "| input | query | indexed | sequential scan | ratio |",
            "|---|---|---|---|---|",
        ]
        for name, p in plans.items():
            lines.append(
                f"| {name} | {p['query']} | {p['indexed_ms']} ms | {p['seqscan_ms']} ms | "
                f"{p['ratio']}x |"
            )
            summary_rows.append(
                (
                    f"search SQL indexed ≥ 50x faster, {name} ({p['ratio']}x)",
                    where,
                    p["ratio"] >= 50,
                )
            )
        if every_query:
            met = [q for q in every_query if q["ratio"] >= 50]
            lowest = min(every_query, key=lambda q: q["ratio"])
            lines += [
                "",
                "Every query of the HTTP search set (above), the same way, without plans:",
                "",
                "| query | indexed | sequential scan | ratio |",
                "|---|---|---|---|",
            ]
            lines += [
                f"| {q['query']} | {q['indexed_ms']} ms | {q['seqscan_ms']} ms | {q['ratio']}x |"
                for q in every_query
            ]
            summary_rows.append(
                (
                    f"search SQL indexed ≥ 50x faster, every query of the search set "
                    f"({len(met)} of {len(every_query)}; lowest {lowest['ratio']}x, "
                    f"{lowest['query']})",
                    where,
                    len(met) == len(every_query),
                )
            )
        for name, p in plans.items():
            lines += [
                "",
                f"Plan, {name}, indexed:",
                "```",
                p["indexed_plan"],
                "```",
                f"Plan, {name}, sequential scan:",
                "```",
                p["seqscan_plan"],
                "```",
            ]

    # Indexes added for this issue, before and after
    lines += ["", "## Indexes added, before and after (same run)", ""]
    lines += [
        "Command: `bench/measure.py --parts index_effect` (EXPLAIN ANALYZE with the index, then "
        "with it dropped, and the index it replaced made again, inside a transaction that is "
        "rolled back). The plans of the largest size follow the table.",
        "",
        "| size | query (index) | before | after |",
        "|---|---|---|---|",
    ]
    for size, run in runs.items():
        for name, e in run.get("index_effect", {}).items():
            lines.append(f"| {human(size)} | {name} | {e['before_ms']} ms | {e['after_ms']} ms |")
    if runs:
        largest = max(runs)
        for name, e in runs[largest].get("index_effect", {}).items():
            for when in ("before", "after"):
                lines += ["", f"{human(largest)}, {name}, {when}:", "", "```"]
                lines += [e[f"{when}_plan"], "```"]

    # Export
    lines += ["", "## CSV export of all public persons with current status", ""]
    lines += [
        "Command: `/usr/bin/time -v python bench/export_probe.py export|python|copy` (each in its "
        "own process; peak memory = maximum resident set size). `export`: the site's stream "
        "(`open_stream('persons', 'csv')`, the COPY path on PostgreSQL); `python`: the same "
        "export through the Python row generator (below 500k persons only); `copy`: the "
        "baseline, "
        "`COPY (same SELECT) TO STDOUT WITH CSV`, on a connection with the export's settings "
        "(`jit = off`). First byte over HTTP: `GET /export/persons.csv` through gunicorn, the "
        "median of five downloads each dropped after its first byte, once every worker has "
        "served a page.",
        "",
        "| size | path | rows | seconds | rows/s | first byte | peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    small, big, where, at_million = scope("export")
    for size, run in runs.items():
        e = run.get("export")
        if not e:
            continue
        for mode in ("export", "python", "copy"):
            if mode not in e:
                continue
            r = e[mode]
            lines.append(
                f"| {human(size)} | {mode} | {r['rows']} | {r['seconds']} | {r['rows_per_s']} | "
                f"{r['first_byte_ms']} ms | {r.get('peak_rss_kb', 0) // 1024} MiB |"
            )
        lines.append(f"| {human(size)} | HTTP first byte | | | | {e['http_first_byte_ms']} ms | |")
        ratio = e["export"]["rows_per_s"] / e["copy"]["rows_per_s"]
        summary_rows.append(
            (f"export ≥ 0.5x COPY rows/s ({ratio:.2f}x)", human(size), ratio >= 0.5)
        )
        summary_rows.append(
            (
                f"export first byte < 100 ms (HTTP {e['http_first_byte_ms']} ms)",
                human(size),
                e["http_first_byte_ms"] < 100,
            )
        )
    if at_million and small and small != big:
        growth = (
            runs[MILLION]["export"]["export"]["peak_rss_kb"]
            / runs[small]["export"]["export"]["peak_rss_kb"]
        )
        summary_rows.append(
            (f"export peak memory 1M ≤ 1.2x 10k ({growth:.2f}x)", "1M/10k", growth <= 1.2)
        )
    elif big and small and big != small:
        growth = (
            runs[big]["export"]["export"]["peak_rss_kb"]
            / runs[small]["export"]["export"]["peak_rss_kb"]
        )
        summary_rows.append(
            (
                f"export peak memory ≤ 1.2x 10k ({growth:.2f}x at {human(big)})",
                f"{human(big)}/10k (1M not measured)",
                growth <= 1.2,
            )
        )

    # Pages
    lines += ["", "## Public pages, one connection", ""]
    lines += [
        "Command: `bench/measure.py --parts pages --warmup 5×workers` (over HTTP through "
        "gunicorn, 1 connection: each page first requested 5 × workers times, not timed, so "
        "that every worker has most likely compiled its templates; then BENCH_REPEAT times as "
        "rendered, the shared Redis cache cleared "
        "before every request, then as many times as kept in the cache; query count from "
        "Django's test client with the cache cleared). The targets are judged on the rendered "
        "times.",
        "",
        "| size | page | rendered p50 | rendered p95 | kept p50 | queries |",
        "|---|---|---|---|---|---|",
    ]
    for size, run in runs.items():
        for name, p in run.get("pages", {}).items():
            lines.append(
                f"| {human(size)} | {name} | {p['p50_ms']} ms | {p['p95_ms']} ms | "
                f"{p.get('kept_p50_ms', '-')} ms | {p['queries']} |"
            )
    small, big, where, at_million = scope("pages")
    if big:
        pages = runs[big]["pages"]
        worst = max(pages.values(), key=lambda p: p["p95_ms"])
        summary_rows.append(
            (f"pages p95 < 150 ms (worst {worst['p95_ms']} ms)", where, worst["p95_ms"] < 150)
        )
        same = all(
            runs[small]["pages"][k]["queries"] == pages[k]["queries"]
            for k in pages
            if k in runs[small]["pages"]
        )
        summary_rows.append(
            (
                "pages: query count the same at every size",
                "/".join(human(s) for s in measured if "pages" in runs[s]),
                same,
            )
        )
        if "person, 200 entries" in pages:
            flat = pages["person, 200 entries"]["queries"] == pages["person, 1 entry"]["queries"]
            summary_rows.append(
                ("person page: same queries for 1 and 200 entries", human(big), flat)
            )
        as_of = pages["figures as of 2023-06-30"]["p95_ms"]
        summary_rows.append(
            (f"figures as of a past date < 1 s (rendered p95 {as_of} ms)", where, as_of < 1000)
        )

    # Staff changelist
    lines += ["", "## Staff changelist of persons", ""]
    lines += [
        "Command: `bench/measure.py --parts changelist` (Django test client in process, a forced "
        "superuser login, max(5, BENCH_REPEAT / 2) requests each; 5 at 10k and 1M).",
        "",
        "| size | view | p50 | p95 | queries |",
        "|---|---|---|---|---|",
    ]
    for size, run in runs.items():
        for name, p in run.get("changelist", {}).items():
            lines.append(
                f"| {human(size)} | {name} | {p['p50_ms']} ms | {p['p95_ms']} ms | {p['queries']} |"
            )
    small, big, where, at_million = scope("changelist")
    if big and small != big:
        for name in runs[big]["changelist"]:
            ratio = (
                runs[big]["changelist"][name]["p50_ms"] / runs[small]["changelist"][name]["p50_ms"]
            )
            summary_rows.append(
                (f"changelist {name}: p50 ≤ 1.5x 10k ({ratio:.2f}x)", where, ratio <= 1.5)
            )

    # Import
    lines += ["", "## Import of 100,000 rows", ""]
    imported = results_dir / "import.json"
    if imported.exists():
        r = json.loads(imported.read_text())
        lines += [
            f"Command: `/usr/bin/time -v {r['command']}` on a fresh database (bench_import), "
            f"{r['date']}, load average {r['load_average']}. The importer's own benchmark "
            "command (casetracker/imports); one transaction, every record with its history row.",
            "",
            "| rows | checked | applied | rows/s (check + apply) | peak RSS | result |",
            "|---|---|---|---|---|---|",
            f"| {r['rows']} | {r['checked_s']} s | {r['applied_s']} s | {r['rows_per_s']} | "
            f"{r['peak_rss_kb'] // 1024} MiB | {r['state']} |",
        ]
        summary_rows.append(
            (
                f"import of 100,000 rows: {r['rows_per_s']} rows/s, "
                f"{r['peak_rss_kb'] // 1024} MiB peak (reported, no target)",
                "100k rows",
                r["state"] == "done",
            )
        )
    else:
        lines.append("Not measured in this run.")
        summary_rows.append(("import of 100,000 rows", "-", None))

    # Load
    lines += ["", "## Person pages under load (wrk)", ""]
    lines += [
        "Command: `wrk -t2 -c16 -d30s --latency` on loopback; person pages: a wrk script "
        "cycling over 300 public person pages, each requested once before the run, so that "
        "they are served from the shared cache, as they are until the next write "
        "(casetracker.public.pagecache; their rendering is timed under Public pages); "
        "baseline: `/bench/bare/`, a fixed 1 KB page through "
        "the same middleware and gunicorn settings (bench/urls.py).",
        "",
        "| size | URL | requests/s | p50 | p99 | errors | requests |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, run in runs.items():
        for name, w in run.get("load", {}).items():
            lines.append(
                f"| {human(size)} | {name} | {w['requests_per_s']} | {w['p50_ms']:.1f} ms | "
                f"{w['p99_ms']:.1f} ms | {w['errors']} | {w['requests']} |"
            )
    small, big, where, at_million = scope("load")
    if big:
        load = runs[big]["load"]
        ratio = load["person pages"]["requests_per_s"] / load["bare"]["requests_per_s"]
        summary_rows.append((f"load: ≥ 0.3x bare requests/s ({ratio:.2f}x)", where, ratio >= 0.3))
        p99 = load["person pages"]["p99_ms"]
        summary_rows.append((f"load: p99 < 50 ms ({p99:.1f} ms)", where, p99 < 50))
        summary_rows.append(
            (
                f"load: 0 errors ({load['person pages']['errors']})",
                where,
                load["person pages"]["errors"] == 0,
            )
        )

    # Soak
    lines += ["", "## Mixed soak", ""]
    small, big, where, at_million = scope("soak")
    soaked = [size for size in measured if "soak" in runs[size]]
    soak = runs[soaked[-1]]["soak"] if soaked else None
    if soak:
        if soaked[-1] != big:
            where = f"{human(soaked[-1])} (1M not soaked)"
        minutes = soak["minutes"]
        lines += [
            f"At {human(soaked[-1])}, {len(minutes)} consecutive one-minute wrk runs "
            "(`wrk -t2 -c16 -d60s --latency -s paths.lua`) over a mix of "
            f"{soak['paths']} paths: person pages, searches, filtered lists, figures and one "
            "filtered CSV export per cycle. Memory: resident set of gunicorn's master and workers.",
            "",
            "| minute | requests/s | p50 | p99 | errors |",
            "|---|---|---|---|---|",
        ]
        for i, w in enumerate(minutes, 1):
            lines.append(
                f"| {i} | {w['requests_per_s']} | {w['p50_ms']:.1f} ms | {w['p99_ms']:.1f} ms | "
                f"{w['errors']} |"
            )
        growth = soak["rss_end_kb"] / soak["rss_start_kb"] - 1
        lines += [
            "",
            f"Memory: {soak['rss_start_kb'] // 1024} MiB at the start, "
            f"{soak['rss_end_kb'] // 1024} MiB at the end ({growth:+.1%}).",
        ]
        errors = sum(w["errors"] for w in minutes)
        drift = minutes[-1]["p99_ms"] / minutes[0]["p99_ms"]
        summary_rows.append((f"soak: 0 errors ({errors})", where, errors == 0))
        summary_rows.append(
            (f"soak: p99 last ≤ 1.2x first minute ({drift:.2f}x)", where, drift <= 1.2)
        )
        summary_rows.append((f"soak: memory growth < 10% ({growth:+.1%})", where, growth < 0.10))
        if len(minutes) < 10:
            summary_rows.append(("soak lasted 10 minutes", where, False))
    else:
        lines.append("Not measured in this run.")
        summary_rows.append(("10-minute mixed soak", "-", None))

    table = ["", "## Targets", "", "| target | measured at | verdict |", "|---|---|---|"]
    table += [f"| {name} | {at} | {verdict(ok)} |" for name, at, ok in summary_rows]
    body = list(lines)
    notes = Path(__file__).resolve().parent / "NOTES.md"
    if notes.exists():
        body += ["", notes.read_text().rstrip()]
    first_section = next(i for i, line in enumerate(body) if line.startswith("## "))
    out.write_text("\n".join(body[:first_section] + table[1:] + [""] + body[first_section:]) + "\n")
