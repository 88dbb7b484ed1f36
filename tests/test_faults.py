"""A process killed in the middle of a bulk action leaves all of it or none of it.

A child process runs the staff workspace's real "publish" action over many persons through the
admin, on this test run's database (PostgreSQL) or a file database of its own (SQLite, whose test
database lives in memory). After some rows are written inside the action's transaction it says
so and waits; the test kills it with SIGKILL and looks: nothing published, no history written.
Without the kill, the same action publishes every row.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
ROWS = 40
KILL_AFTER = 15

CHILD = r"""
import os, sys, time
import django

django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models.signals import post_save
from django.test import Client

from casetracker.cases import models as m

mode = sys.argv[1]
if mode == "setup":
    call_command("migrate", verbosity=0)
    m.Person.objects.filter(display_name__startswith="Fault ").delete()
    m.Person.objects.bulk_create(
        m.Person(
            display_name=f"Fault {n}",
            consent=m.Consent.PUBLIC_SOURCE,
            risk_level=m.RiskLevel.LOW,
        )
        for n in range(int(sys.argv[2]))
    )
    get_user_model().objects.filter(username="fault-admin").delete()
    get_user_model().objects.create_superuser("fault-admin", "f@example.org", "x" * 16)
elif mode == "publish":
    stop_after = int(sys.argv[2])
    saved = 0

    def pause_midway(sender, instance, **kwargs):
        global saved
        if sender is m.Person:
            saved += 1
            if saved == stop_after:
                written = m.Person.objects.filter(publication="published").count()
                print(f"written {written}", flush=True)
                time.sleep(600)

    post_save.connect(pause_midway)
    client = Client()
    client.force_login(get_user_model().objects.get(username="fault-admin"))
    ids = m.Person.objects.filter(display_name__startswith="Fault ").values_list("pk", flat=True)
    response = client.post(
        "/admin/cases/person/",
        {"action": "publish", "_selected_action": list(ids), "index": 0},
    )
    print(f"done {response.status_code}", flush=True)
elif mode == "count":
    persons = m.Person.objects.filter(display_name__startswith="Fault ")
    published = persons.filter(publication="published").count()
    history = m.Person.history.filter(
        display_name__startswith="Fault ", publication="published"
    ).count()
    print(f"{published} {history}", flush=True)
"""


@pytest.fixture
def child_env(tmp_path, settings):
    """The environment of a child process working on a database the test can look at."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DEBUG="1",
        STAFF_REQUIRE_2FA="0",
        RATELIMIT_ENABLED="0",
        DJANGO_SETTINGS_MODULE="casetracker.settings",
        PYTHONPATH=str(ROOT),
        REDIS_URL="",
    )
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        host = db["HOST"] or "127.0.0.1"
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'faults.sqlite3'}"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    return env, script


def run_child(child_env, *args: str) -> str:
    env, script = child_env
    result = subprocess.run(  # noqa: S603 (this interpreter, a script the test wrote)
        [sys.executable, str(script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.django_db(transaction=True)
def test_a_bulk_publish_killed_midway_leaves_nothing_published(child_env):
    run_child(child_env, "setup", str(ROWS))
    env, script = child_env
    child = subprocess.Popen(  # noqa: S603 (this interpreter, a script the test wrote)
        [sys.executable, str(script), "publish", str(KILL_AFTER)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline().strip()
        # Inside its transaction the child already sees its own rows published.
        assert line == f"written {KILL_AFTER}", (line, child.stderr.read())
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    assert run_child(child_env, "count") == "0 0"


@pytest.mark.django_db(transaction=True)
def test_the_same_bulk_publish_left_alone_publishes_every_row(child_env):
    run_child(child_env, "setup", str(ROWS))
    assert run_child(child_env, "publish", str(ROWS + 1)) == "done 302"
    published, history = map(int, run_child(child_env, "count").split())
    assert published == ROWS
    assert history >= ROWS
