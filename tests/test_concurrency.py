"""Concurrent verdicts on one claim all land in the timeline, in order (PostgreSQL row lock)."""

import datetime
import threading

import pytest
from django.db import connection

from claims import services
from claims.models import Claim
from tests.factories import ActorFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_status_changes_all_land_in_the_timeline(analyst):
    claim = services.create_claim(
        by=analyst,
        actor=ActorFactory(),
        headline="h",
        text="t",
        stated_on=datetime.date(2024, 10, 18),
    )
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    errors = []

    def change(i):
        try:
            barrier.wait()
            status = ["confirmed", "denied"][i % 2]
            services.claim_set_status(
                confidence="moderate",
                claim=Claim.objects.get(pk=claim.pk),
                status=status,
                rationale=f"r{i}",
                by=analyst,
            )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=change, args=(i,)) for i in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    changes = list(claim.status_changes.order_by("changed_at", "pk"))
    claim.refresh_from_db()
    assert errors == []
    assert len(changes) == threads_count + 1
    # Each entry starts from the previous one's verdict: no change was lost or reordered.
    assert all(a.new_status == b.old_status for a, b in zip(changes, changes[1:], strict=False))
    assert claim.status == changes[-1].new_status
