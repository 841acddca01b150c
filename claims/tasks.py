"""Background jobs (Django's tasks API through django-tasks). Each is a thin wrapper around a
function in services.py, which does the work and the writes."""

import datetime

from django_tasks import task

from . import services


@task()
def capture_source(capture_id: int):
    """Fetch and store one queued capture (services.run_capture)."""
    return services.run_capture(capture_id=capture_id)


@task()
def recapture_stale_sources(older_than_days: int = 30, repeat_every_days: int = 0):
    """Queue captures of sources not captured for `older_than_days`; with `repeat_every_days`,
    queue itself again for then, so one enqueue keeps link-rot checks going."""
    queued = services.recapture_sources(older_than=datetime.timedelta(days=older_than_days))
    if repeat_every_days:
        from django.utils import timezone

        later = timezone.now() + datetime.timedelta(days=repeat_every_days)
        recapture_stale_sources.using(run_after=later).enqueue(older_than_days, repeat_every_days)
    return queued
