"""Fetching against a local server: redirects, sizes, timeouts, and every address refused."""

import socket

import pytest

from claims.capture import CaptureFailed, CaptureRefused, fetch_page, page_text
from tests.captures.pageserver import QUOTE, Handler, PageServer


def test_page_is_fetched_with_its_status_type_and_body(capture_settings, page_server):
    page = fetch_page(page_server.url("/quote"))
    assert page.final.status == 200
    assert page.content_type.startswith("text/html")
    assert QUOTE.encode() in page.final.body.replace("\u201c".encode(), b"")


def test_redirects_are_followed_and_every_hop_kept(capture_settings, page_server):
    page = fetch_page(page_server.url("/redirect"))
    assert [hop.status for hop in page.hops] == [302, 200]
    assert page.final.url == page_server.url("/quote")


def test_a_404_is_an_answer_not_a_failure(capture_settings, page_server):
    assert fetch_page(page_server.url("/missing")).final.status == 404


def test_a_response_slower_than_the_timeout_is_a_transient_failure(capture_settings, page_server):
    with pytest.raises(CaptureFailed, match="no answer within 1 s"):
        fetch_page(page_server.url("/slow"))


def test_a_50_mb_body_is_refused_after_reading_at_most_the_limit(capture_settings, page_server):
    with pytest.raises(CaptureRefused, match="larger than 10,485,760 bytes"):
        fetch_page(page_server.url("/huge"))


def test_no_cookies_or_credentials_are_sent(capture_settings, page_server):
    url = page_server.url("/quote").replace("http://", "http://user:secret@")
    fetch_page(url)
    ((_, headers),) = Handler.seen
    assert "Authorization" not in headers and "Cookie" not in headers
    assert headers["Host"] == f"127.0.0.1:{page_server.port}"


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://example.org/", "javascript:alert(1)"],
)
def test_other_schemes_are_refused(capture_settings, url):
    with pytest.raises(CaptureRefused, match="only http and https"):
        fetch_page(url)


def test_a_port_other_than_80_and_443_is_refused_unless_allowed(settings, page_server):
    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = True
    settings.CAPTURE_ALLOWED_PORTS = [80, 443]
    with pytest.raises(CaptureRefused, match=f"port {page_server.port} is not fetched"):
        fetch_page(page_server.url("/quote"))
    assert Handler.seen == []


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.5.6.7",
        "[::1]",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
        "224.0.0.1",
        "240.0.0.1",
        "[fe80::1]",
        "[fc00::1]",
        "[ff02::1]",
        "[::ffff:127.0.0.1]",
        "localhost",
    ],
)
def test_private_and_reserved_addresses_are_refused_before_connecting(settings, host):
    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(CaptureRefused, match="private or reserved address"):
        fetch_page(f"http://{host}/")


def test_a_redirect_to_loopback_is_refused_with_the_private_setting_off(settings, page_server):
    # The first hop is a server on 127.0.0.2, allowed by name; it redirects to 127.0.0.1.
    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = False
    settings.CAPTURE_ALLOWED_NETWORKS = ["127.0.0.2/32"]
    with PageServer(host="127.0.0.2") as first:
        first.httpd.loopback_port = page_server.port
        settings.CAPTURE_ALLOWED_PORTS = [first.port, page_server.port]
        with pytest.raises(CaptureRefused, match="points to 127.0.0.1"):
            fetch_page(first.url("/to-loopback"))
    assert [path for path, _ in Handler.seen] == ["/to-loopback"]


def test_the_connection_goes_to_the_checked_address_not_a_second_lookup(
    settings, page_server, monkeypatch
):
    """DNS rebinding: the name answers an allowed address for the check, then loopback."""
    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = False
    settings.CAPTURE_ALLOWED_NETWORKS = ["127.0.0.2/32"]
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.2", "127.0.0.1", "127.0.0.1"])

    def rebinding_getaddrinfo(host, port, *args, **kwargs):
        if host == "rebind.test":
            return real_getaddrinfo(next(answers), port, *args, **kwargs)
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)
    with PageServer(host="127.0.0.2") as allowed:
        settings.CAPTURE_ALLOWED_PORTS = [allowed.port]
        page = fetch_page(f"http://rebind.test:{allowed.port}/quote")
    assert page.final.status == 200
    assert list(answers) == ["127.0.0.1", "127.0.0.1"]  # the name was looked up once
    ((_, headers),) = Handler.seen
    assert headers["Host"] == f"rebind.test:{allowed.port}"


def test_main_text_leaves_out_scripts(capture_settings, page_server):
    text = page_text(fetch_page(page_server.url("/quote")))
    assert QUOTE in text
    assert "document.cookie" not in text
