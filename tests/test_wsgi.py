"""The WSGI entry point the production server loads."""

import os
import subprocess
import sys

from django.conf import settings


def test_the_wsgi_module_freezes_what_it_loaded_out_of_the_collectors_sight():
    probe = "import gc, casetracker.wsgi; print(gc.get_freeze_count())"
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "casetracker.settings"}
    out = subprocess.run(  # noqa: S603 -- a fixed command, this interpreter
        [sys.executable, "-c", probe],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    # Django and the apps: tens of thousands of objects, none of them collected again.
    assert int(out.stdout.split()[-1]) > 10_000
