import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casetracker.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, their modules) lives as long as the process: move
# it out of the collector's sight, so a full collection walks only what requests allocate. A
# 200-entry person page paused 70-100 ms for full collections over that heap, 15-25 ms after
# (in process at 1M persons, docs/performance.md: the pages' p95).
gc.collect()
gc.freeze()
