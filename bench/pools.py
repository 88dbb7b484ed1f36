"""Person pages under load from sync workers and from threads: which pool serves the pages.

    .venv/bin/python bench/pools.py [--size 1000000] [--seconds 20]

For each gunicorn configuration: the site on bench_<size> (made by bench/run.py), every person
page of the load part read once (kept in the shared cache, as in the load part), then wrk with 16
connections on the bare 1 KB view and on the person pages. Prints one JSON line per
configuration; README (Two modes, Production) quotes the figures.
"""

import argparse
import json

import run

CONFIGS = [
    ("5 sync workers", 5, ()),
    ("2 gthread workers of 8 threads", 2, ("--worker-class", "gthread", "--threads", "8")),
    ("5 gthread workers of 4 threads", 5, ("--worker-class", "gthread", "--threads", "4")),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    persons = run.person_paths(args.size)
    for name, workers, extra in CONFIGS:
        with run.Gunicorn(args.size, workers, extra):
            with run.requests_session() as session:
                for path in persons:
                    session.get(f"http://127.0.0.1:{run.PORT}{path}", timeout=60)
            bare = run.wrk(["/bench/bare/"], args.seconds)
            pages = run.wrk(persons, args.seconds)
        ratio = round(pages["requests_per_s"] / bare["requests_per_s"], 2)
        print(json.dumps({"pool": name, "bare": bare, "person pages": pages, "ratio": ratio}))


if __name__ == "__main__":
    main()
