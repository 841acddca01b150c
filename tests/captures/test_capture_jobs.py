"""Capture jobs: queued on the right writes, run once, retried, failed visibly, stored."""

import datetime
import hashlib
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import task_backends
from warcio.archiveiterator import ArchiveIterator

from claims import services
from claims.models import Capture, Citation, Source
from tests.captures.pageserver import PAGE_WITHOUT_QUOTE, QUOTE, Handler
from tests.factories import CitationFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db


def queued_task_args():
    return [(result.task.name, result.args) for result in task_backends["default"].results]


def run(capture):
    state = services.run_capture(capture_id=capture.pk)
    capture.refresh_from_db()
    return state


def new_source(url, by=None):
    return services.create_record(Source(title="Ministry statement", url=url), by=by)


def test_creating_a_source_with_a_url_queues_one_capture(
    capture_settings, page_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        source = new_source(page_server.url("/quote"))
    capture = Capture.objects.get(source=source)
    assert capture.state == Capture.State.QUEUED
    assert queued_task_args() == [("capture_source", [capture.pk])]


def test_a_source_without_url_queues_nothing(capture_settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.create_record(Source(title="Leaflet"), by=None)
    assert Capture.objects.count() == 0
    assert queued_task_args() == []


def test_changing_the_url_queues_a_capture_but_other_edits_do_not(capture_settings, page_server):
    source = new_source(page_server.url("/quote"))
    run(source.captures.get())
    source.title = "Renamed"
    services.save_versioned(source, by=None, version=source.version)
    assert source.captures.count() == 1
    source.url = page_server.url("/noquote")
    services.save_versioned(source, by=None, version=source.version)
    assert source.captures.active().get().url == page_server.url("/noquote")


def test_a_second_request_while_one_is_queued_returns_the_same_capture(capture_settings):
    source = SourceFactory()
    first = services.request_capture(source=source)
    second = services.request_capture(source=source)
    assert first.pk == second.pk
    assert source.captures.count() == 1


def test_a_capture_already_running_is_not_run_again(capture_settings, page_server):
    source = SourceFactory(url=page_server.url("/quote"))
    capture = services.request_capture(source=source)
    Capture.objects.filter(pk=capture.pk).update(state="running", started_at=timezone.now())
    assert services.run_capture(capture_id=capture.pk) is None
    assert Handler.seen == []


def test_a_capture_stores_status_type_hash_size_text_and_warc(capture_settings, page_server):
    source = SourceFactory(url=page_server.url("/redirect"))
    capture = services.request_capture(source=source)
    assert run(capture) == "done"
    assert (capture.state, capture.http_status, capture.attempts) == ("done", 200, 1)
    assert capture.final_url == page_server.url("/quote")
    assert capture.content_type == "text/html; charset=utf-8"
    assert QUOTE in capture.text
    source.refresh_from_db()
    assert source.link_state == "ok"


def test_the_hash_is_the_sha256_of_the_payload_in_the_warc(capture_settings, page_server):
    source = SourceFactory(url=page_server.url("/redirect"))
    capture = services.request_capture(source=source)
    run(capture)
    with capture.warc.open("rb") as warc:
        records = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
            for r in ArchiveIterator(io.BytesIO(warc.read()))
        ]
    assert [(kind, uri) for kind, uri, _ in records] == [
        ("warcinfo", None),
        ("request", page_server.url("/redirect")),
        ("response", page_server.url("/redirect")),
        ("request", page_server.url("/quote")),
        ("response", page_server.url("/quote")),
    ]
    payload = records[-1][2]
    assert hashlib.sha256(payload).hexdigest() == capture.sha256
    assert capture.size == len(payload)


def test_a_transient_failure_is_queued_again_with_a_delay(capture_settings, page_server):
    source = SourceFactory(url=page_server.url("/flaky"))
    capture = services.request_capture(source=source)
    assert run(capture) == "queued"
    assert (capture.attempts, capture.failure) == (1, "will try again: the server answered 503")
    (retry,) = task_backends["default"].results
    assert retry.args == [capture.pk]
    delay = retry.task.run_after - timezone.now()
    assert datetime.timedelta(seconds=50) < delay <= datetime.timedelta(seconds=60)
    assert run(capture) == "done"
    assert (capture.attempts, capture.http_status, capture.failure) == (2, 200, "")


def test_a_failure_that_outlasts_the_retries_says_why(capture_settings, page_server):
    source = SourceFactory(url=page_server.url("/slow"))
    capture = services.request_capture(source=source)
    states = [run(capture) for _ in range(3)]
    assert states == ["queued", "queued", "failed"]
    assert capture.status_text == "failed: no answer within 1 s"
    assert capture.attempts == 3


def test_a_refused_address_fails_at_once(capture_settings):
    capture_settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = False
    capture = services.request_capture(source=SourceFactory(url="http://169.254.169.254/latest"))
    assert run(capture) == "failed"
    assert "private or reserved address" in capture.status_text
    assert not capture.warc


def test_a_capture_whose_worker_died_is_marked_failed(capture_settings):
    source = SourceFactory()
    capture = services.request_capture(source=source)
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    Capture.objects.filter(pk=capture.pk).update(state="running", started_at=long_ago)
    again = services.request_capture(source=source)
    capture.refresh_from_db()
    assert capture.status_text.startswith("failed: the worker stopped")
    assert again.pk != capture.pk and again.state == "queued"


def test_a_page_that_now_answers_404_is_marked_broken(capture_settings, page_server):
    source = SourceFactory(url=page_server.url("/quote"))
    run(services.request_capture(source=source))
    source.url = page_server.url("/missing")
    services.save_versioned(source, by=None, version=source.version)
    run(source.captures.active().get())
    source.refresh_from_db()
    assert source.link_state == "broken"


def test_a_page_whose_text_changed_is_marked_changed(capture_settings, page_server):
    source = SourceFactory(url=page_server.url("/changed"))
    run(services.request_capture(source=source))
    page_server.httpd.changing_page = PAGE_WITHOUT_QUOTE
    second = services.request_capture(source=source)
    run(second)
    source.refresh_from_db()
    assert (source.link_state, second.text_changed) == ("changed", True)


def test_quotes_are_checked_when_the_capture_is_done_and_again_when_it_changes(
    capture_settings, page_server
):
    source = SourceFactory(url=page_server.url("/changed"))
    citation = CitationFactory(source=source, quote=f"“{QUOTE}”")
    run(services.request_capture(source=source))
    citation.refresh_from_db()
    assert (citation.quote_check, citation.quote_score) == ("found", 1.0)
    page_server.httpd.changing_page = PAGE_WITHOUT_QUOTE
    latest = services.request_capture(source=source)
    run(latest)
    citation.refresh_from_db()
    assert (citation.quote_check, citation.quote_capture_id) == ("not_found", latest.pk)


def test_a_new_citation_is_checked_against_the_existing_capture(capture_settings, page_server):
    source = SourceFactory(url=page_server.url("/quote"))
    run(services.request_capture(source=source))
    claim = CitationFactory().claim
    citation = services.add_citation(
        claim=claim, source=source, role="evidence", quote=QUOTE.upper(), by=None
    )
    assert Citation.objects.get(pk=citation.pk).quote_check == "found"


def test_recapture_queues_only_sources_not_captured_recently(capture_settings, page_server):
    old = SourceFactory(url=page_server.url("/page/old"))
    recent = SourceFactory(url=page_server.url("/page/recent"))
    for source in (old, recent):
        run(services.request_capture(source=source))
    Capture.objects.filter(source=old).update(
        requested_at=timezone.now() - datetime.timedelta(days=40)
    )
    SourceFactory(url="")
    call_command("recapture", "--older-than", "30d")
    assert list(Capture.objects.active().values_list("source", flat=True)) == [old.pk]


def test_recapture_rejects_a_bad_age(capture_settings):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="30d"):
        call_command("recapture", "--older-than", "a month")


def test_who_asked_for_a_capture_is_recorded(capture_settings):
    analyst = UserFactory(username="analyst", role="analyst")
    source = services.create_record(Source(title="Report", url="https://e.org/r"), by=analyst)
    assert source.captures.get().requested_by == analyst
    source = SourceFactory(url="")
    source.url = "https://e.org/later"
    capture = services.request_capture(source=source, by=analyst)
    assert capture.requested_by == analyst


def test_recapture_repeat_queues_a_job_that_queues_itself_again(capture_settings, page_server):
    source = SourceFactory(url=page_server.url("/page/old"))
    call_command("recapture", "--older-than", "30d", "--repeat", "1")
    (job,) = task_backends["default"].results
    assert (job.task.name, job.args) == ("recapture_stale_sources", [30, 1])
    job.task.call(*job.args)  # what the worker does with it
    again = task_backends["default"].results[-1]
    assert again.task.name == "recapture_stale_sources"
    assert again.task.run_after > timezone.now() + datetime.timedelta(hours=23)
    assert source.captures.active().count() == 1
