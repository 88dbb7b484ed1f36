"""The measurements of one benchmark database; run by bench/run.py, results as JSON on stdout.

    DATABASE_URL=postgres://.../bench_10k python bench/measure.py --size 10000 --port 8765 \
        --parts search,sql_plans,export,pages,changelist [--write results.json]

Timings over HTTP go to the gunicorn that bench/run.py started on --port (one connection, keep
alive); query counts come from Django's test client in this process (same settings module).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import django
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from casetracker.cases import models as m  # noqa: E402
from casetracker.search import engine  # noqa: E402

# Latin, Cyrillic (Kazakh and Russian spellings), reversed order, typos, prefixes.
SEARCH_QUERIES = [
    "Nurlan Tokayev",
    "Нұрлан Тоқаев",
    "Нурлан Токаев",
    "Tokaev Nurlan",
    "Tokaiev",
    "Jaqsylyqov",
    "Жақсылықов Ерлан",
    "Sarsenb",
    "Kuznetsova Elena",
    "Хохлов",
    "Hohlov Sergei",
    "Abdirakhmanov Aigul",
    "Ghabdullin",
    "Ivanov Dmitrii",
    "Omarov As",
]
# A full name, as a relative types it, and a lone common surname (a fiftieth of all keys hold it:
# there the sequential scan, too, stops after its first 500 matches).
PLAN_QUERIES = {
    "Latin": "Nurlan Tokayev",
    "Cyrillic": "Нұрлан Тоқаев",
    "Latin, a typo in each word": "Abdirakhmanov Aigul",
    "Latin, surname alone": "Tokayev",
    "Cyrillic, surname alone": "Тоқаев",
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50) * 1000, 2),
        "p95_ms": round(percentile(values, 95) * 1000, 2),
        "p99_ms": round(percentile(values, 99) * 1000, 2),
    }


def candidate_statements(query: str) -> list[tuple[str, list]]:
    """The SQL the search engine sends for this query's candidates: the vocabulary lookup of
    `engine.similar_words`, then `engine.candidate_query` (its steps in one statement)."""
    words = engine.query_words(query)
    with CaptureQueriesContext(connection) as captured:
        statement = engine.candidate_query(words, public=True, kinds=None)
    # The lookup's SQL as psycopg2 sent it: its parameters inlined.
    return [(q["sql"].replace("%", "%%"), []) for q in captured.captured_queries] + [statement]


def search_statements(query: str) -> list[str]:
    """Every SQL statement the public search page runs for this query, values inlined as
    PostgreSQL received them (psycopg2's own quoting)."""
    client = Client()
    with CaptureQueriesContext(connection) as captured:
        client.get("/en/search/", {"q": query})
    return [q["sql"] for q in captured.captured_queries]


def bare_search_sql(statements: list[str]) -> None:
    """The same statements replayed on a cursor: the search's SQL with no Python around it
    (no ranking, no model instances, no template, no HTTP)."""
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)  # no parameters: a literal % needs no escaping
            cursor.fetchall()


def measure_search(base: str, repeat: int, warmup: int = 1) -> dict:
    session = requests.Session()
    per_query = []
    http_all, sql_all = [], []
    for query in SEARCH_QUERIES:
        statements = search_statements(query)
        for _ in range(max(1, warmup)):  # every worker, as for pages: none times its first render
            session.get(f"{base}/en/search/", params={"q": query}).raise_for_status()
        http, bare = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            bare_search_sql(statements)
            bare.append(time.perf_counter() - started)
            started = time.perf_counter()
            response = session.get(f"{base}/en/search/", params={"q": query})
            http.append(time.perf_counter() - started)
            response.raise_for_status()
        http_all += http
        sql_all += bare
        per_query.append(
            {
                "query": query,
                "http_p50_ms": round(statistics.median(http) * 1000, 2),
                "sql_p50_ms": round(statistics.median(bare) * 1000, 2),
                "added_p50_ms": round(
                    (statistics.median(http) - statistics.median(bare)) * 1000, 2
                ),
            }
        )
    # The floor of "added": a fixed 1 KB page through the same middleware, client and gunicorn.
    floor = []
    for _ in range(max(1, warmup)):
        session.get(f"{base}/bench/bare/").raise_for_status()
    for _ in range(repeat * 5):
        started = time.perf_counter()
        session.get(f"{base}/bench/bare/").raise_for_status()
        floor.append(time.perf_counter() - started)
    return {
        "repeat": repeat,
        "warmup": max(1, warmup),
        "bare_view_p50_ms": round(statistics.median(floor) * 1000, 2),
        "queries": per_query,
        "http": summary(http_all),
        "sql": summary(sql_all),
        "added_p50_ms": round(statistics.median(q["added_p50_ms"] for q in per_query), 2),
    }


def explain(
    sql: str, params: list, *, seqscan: bool, drop_index: str = "", restore: str = ""
) -> tuple[float, str]:
    """EXPLAIN ANALYZE in a transaction rolled back afterwards, so what it changes for the plan
    (a sequential scan forced, an index dropped, the index it replaced made again: PostgreSQL's
    DDL is transactional) is undone."""
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        try:
            if seqscan:
                cursor.execute("SET LOCAL enable_indexscan = off")
                cursor.execute("SET LOCAL enable_bitmapscan = off")
            if drop_index:
                cursor.execute(f'DROP INDEX "{drop_index}"')
            if restore:
                cursor.execute(restore)
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("ROLLBACK")
    execution = next(
        float(line.split(":")[1].split()[0])
        for line in plan.splitlines()
        if line.strip().startswith("Execution Time")
    )
    return execution, plan


def explain_query(query: str) -> dict:
    """Every step the engine runs for this query's candidates, indexed and sequential, summed;
    the plans shown one after another."""
    indexed_ms = seq_ms = 0.0
    indexed_plans, seq_plans = [], []
    for sql, params in candidate_statements(query):
        explain(sql, params, seqscan=False)  # warm the cache for both
        indexed = [explain(sql, params, seqscan=False) for _ in range(3)]
        seq = [explain(sql, params, seqscan=True) for _ in range(2)]
        indexed_ms += statistics.median(t for t, _p in indexed)
        seq_ms += statistics.median(t for t, _p in seq)
        indexed_plans.append(indexed[0][1])
        seq_plans.append(seq[0][1])
    return {
        "query": query,
        "steps": len(indexed_plans),
        "indexed_ms": round(indexed_ms, 2),
        "seqscan_ms": round(seq_ms, 2),
        "ratio": round(seq_ms / indexed_ms, 1) if indexed_ms else None,
        "indexed_plan": "\n\n".join(indexed_plans),
        "seqscan_plan": "\n\n".join(seq_plans),
    }


def measure_sql_plans() -> dict:
    """The representative inputs with their plans, and the ratio of every query of the HTTP
    search set (SEARCH_QUERIES) without them."""
    results = {label: explain_query(query) for label, query in PLAN_QUERIES.items()}
    every = []
    for query in SEARCH_QUERIES:
        found = explain_query(query)
        every.append({k: found[k] for k in ("query", "indexed_ms", "seqscan_ms", "ratio")})
    results["every_query"] = every
    return results


def measure_index_effect() -> dict:
    """Each index added for this issue, before (dropped inside a rolled-back transaction) and after.

    PostgreSQL's DDL is transactional: DROP INDEX, EXPLAIN ANALYZE, ROLLBACK leaves it in place.
    """
    from casetracker.public.filters import PersonFilter

    def page_sql(queryset):
        return queryset.values("pk", "display_name")[:51].query.sql_with_params()

    public = m.Person.objects.public()
    by_charge = {"charge": "Criminal Code, art. 272"}
    # (index added, the statement it serves, the index it replaced if any)
    cases = {
        "public person list, unfiltered (person_display_name)": (
            "person_display_name",
            page_sql(PersonFilter({}, queryset=public).qs),
            "",
        ),
        "public person list by charge article (charge_legal_basis_trgm, replacing a b-tree)": (
            "charge_legal_basis_trgm",
            page_sql(PersonFilter(by_charge, queryset=public).qs),
            'CREATE INDEX "charge_legal_basis" ON cases_charge (legal_basis)',
        ),
        "public search candidates, a full name (searchkey_public_words, beside the index of "
        "every key)": (
            "searchkey_public_words",
            engine.candidate_query(
                engine.query_words(PLAN_QUERIES["Latin"]), public=True, kinds=None
            ),
            "",
        ),
        "staff changelist, status detained (person_status_name, replacing (status))": (
            "person_status_name",
            page_sql(m.Person.objects.filter(status="detained").order_by("display_name", "-pk")),
            'CREATE INDEX "person_status" ON cases_person (status)',
        ),
    }
    results = {}
    for name, (index, (statement, params), replaced) in cases.items():
        after, after_plan = explain(statement, params, seqscan=False)
        after, after_plan = explain(statement, params, seqscan=False)
        before, before_plan = explain(
            statement, params, seqscan=False, drop_index=index, restore=replaced
        )
        results[name] = {
            "before_ms": round(before, 2),
            "after_ms": round(after, 2),
            "before_plan": before_plan,
            "after_plan": after_plan,
        }
    return results


def measure_export(base: str, size: int, warmup: int = 1) -> dict:
    """Each path in its own process; the faster of two runs below 500k persons (a busy machine).

    The Python row path (shown for comparison, about 1,500 rows/s) only below 500k persons: at
    1M it alone would take ten minutes.
    """
    probe = ROOT / "bench" / "export_probe.py"
    results = {}
    small = size < 500_000
    modes = ("export", "copy") + (("python", "export", "copy") if small else ())
    for mode in modes:
        completed = subprocess.run(
            ["/usr/bin/time", "-v", sys.executable, str(probe), mode],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ,
        )
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        for line in completed.stderr.splitlines():
            if "Maximum resident set size" in line:
                result["peak_rss_kb"] = int(line.split(":")[1])
        if mode not in results or result["seconds"] < results[mode]["seconds"]:
            results[mode] = result
    # First byte over HTTP, through gunicorn and every middleware: the median of five downloads,
    # each dropped after its first byte (the export stops when the client goes), once every
    # worker has served a page (a worker's first request loads the URL resolvers: 150 ms).
    for _ in range(max(1, warmup)):
        requests.get(f"{base}/en/", timeout=60).raise_for_status()
    first_bytes = []
    for _ in range(5):
        started = time.perf_counter()
        with requests.get(f"{base}/export/persons.csv", stream=True, timeout=600) as response:
            response.raise_for_status()
            next(response.iter_content(1))
            first_bytes.append(time.perf_counter() - started)
        # The server notices the client has gone at its next write, once the COPY has its first
        # rows (1.6 s at 1M, after the sort): five exports dropped back to back ran side by side.
        _wait_for_no_copy()
    results["http_first_byte_ms"] = round(statistics.median(first_bytes) * 1000, 2)
    return results


def _wait_for_no_copy(timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND query LIKE 'COPY %%' AND pid <> pg_backend_pid()"
            )
            if not cursor.fetchone()[0]:
                return
            time.sleep(0.1)


# The relations the sampled person pages have public rows in (the others they have none in).
PERSON_SHAPE = {"status_entries", "detentions", "charges", "involvements"}


def sample_pages() -> dict[str, str]:
    """The pages timed, the person pages chosen with one shape at every size.

    Django runs a nested prefetch (a detention's citations, say) only when the level above has
    rows, so the 1-entry and 200-entry persons, at 10k and at 1M, have public rows in the same
    relations (PERSON_SHAPE where the data has such a person; else the first 200-entry person's
    shape) for their query counts to be comparable.
    """
    public = m.Person.objects.public()
    levels = _nested_prefetch_levels()

    def shaped(persons, present):
        for relation, rows in levels:
            condition = {f"{relation}__in": rows.values("pk")}
            persons = (
                persons.filter(**condition) if relation in present else persons.exclude(**condition)
            )
        return persons

    long_persons = public.filter(status_entries__position=200).order_by("pk")
    long_person = shaped(long_persons, PERSON_SHAPE).first()
    shape = PERSON_SHAPE
    if long_person is None and (long_person := long_persons.first()) is not None:
        shape = {
            relation
            for relation, rows in levels
            if rows.filter(pk__in=getattr(long_person, relation).values("pk")).exists()
        }
    long = long_person.public_id if long_person else None
    one = shaped(public.filter(latest_entry__position=1), shape).order_by("pk").first()
    pages = {
        "person, 1 entry": f"/en/people/{one.public_id}/",
        "search page": "/en/search/?q=Nurlan+Tokayev",
        "filtered list": "/en/people/?status=detained",
        "filtered list, page 5": "/en/people/?status=released&page=5",
        "list by charge": "/en/people/?charge=Criminal+Code%2C+art.+272",
        "figures": "/en/figures/",
        "figures as of 2023-06-30": "/en/figures/?as_of=2023-06-30",
    }
    if long:
        pages["person, 200 entries"] = f"/en/people/{long}/"
    return pages


def _nested_prefetch_levels() -> list[tuple[str, object]]:
    """(relation, public rows) of the person page's prefetches that have a prefetch below."""
    from django.db.models import Prefetch

    from casetracker.public.views import _person_prefetches

    lookups = [p.prefetch_through if isinstance(p, Prefetch) else p for p in _person_prefetches()]
    parents = {lookup.split("__")[0] for lookup in lookups if "__" in lookup}
    return [
        (p.prefetch_through, p.queryset)
        for p in _person_prefetches()
        if isinstance(p, Prefetch) and p.prefetch_through in parents
    ]


def measure_pages(base: str, repeat: int, warmup: int = 0) -> dict:
    """Each page as rendered (the shared cache cleared before every request) and as kept.

    The rendered figures are the ones judged: a reader of a page nobody has opened since the
    last write waits for them. Person and incident pages and the figures are then kept in the
    shared cache (casetracker.public.pagecache) until the next write; "kept" times that.
    """
    session = requests.Session()
    client = Client()
    results = {}
    for label, url in sample_pages().items():
        # Not timed: each gunicorn worker compiles a template and fills its URL and translation
        # caches the first time it renders a page; `warmup` requests let every worker do so.
        for _ in range(warmup):
            cache.clear()
            session.get(base + url).raise_for_status()
        rendered, kept = [], []
        for _ in range(repeat):
            cache.clear()
            started = time.perf_counter()
            session.get(base + url).raise_for_status()
            rendered.append(time.perf_counter() - started)
        for _ in range(repeat):
            started = time.perf_counter()
            session.get(base + url).raise_for_status()
            kept.append(time.perf_counter() - started)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            status = client.get(url).status_code
        results[label] = {
            "url": url,
            "status": status,
            **summary(rendered),
            "kept_p50_ms": summary(kept)["p50_ms"],
            "queries": len(queries),
        }
    return results


def measure_changelist(repeat: int) -> dict:
    from django.contrib.auth import get_user_model

    user, _created = get_user_model().objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    pages = {
        "unfiltered": "/admin/cases/person/",
        "filtered": "/admin/cases/person/?status__exact=detained",
        "searched": "/admin/cases/person/?q=Tokayev",
    }
    results = {}
    for label, url in pages.items():
        client.get(url)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        results[label] = {
            "url": url,
            "status": response.status_code,
            **summary(times),
            "queries": len(queries),
        }
    return results


def counts() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_statusentry")
        entries = cursor.fetchone()[0]
    return {
        "persons": m.Person.objects.count(),
        "public_persons": m.Person.objects.public().count(),
        "status_entries": entries,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parts", default="search,sql_plans,index_effect,export,pages,changelist")
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", "20")))
    parser.add_argument("--warmup", type=int, default=0, help="Untimed requests per page first.")
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    parts = args.parts.split(",")
    result = {"size": args.size, "counts": counts()}
    if "search" in parts:
        result["search"] = measure_search(base, args.repeat, args.warmup)
    if "sql_plans" in parts:
        result["sql_plans"] = measure_sql_plans()
    if "index_effect" in parts:
        result["index_effect"] = measure_index_effect()
    if "export" in parts:
        result["export"] = measure_export(base, args.size, args.warmup)
    if "pages" in parts:
        result["pages"] = measure_pages(base, args.repeat, args.warmup)
    if "changelist" in parts:
        result["changelist"] = measure_changelist(max(5, args.repeat // 2))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
