"""Fetching a page someone cited, keeping the exchange as a WARC file, and reading its text.

The server fetches addresses that users typed, so every hop of the fetch is checked before
anything is sent: only http and https, only the allowed ports, and only public addresses
(unless CAPTURE_ALLOW_PRIVATE_ADDRESSES or CAPTURE_ALLOWED_NETWORKS say otherwise). The
connection goes to the very address that was checked, so a name that resolves to a public
address for the check and to an internal one a moment later (DNS rebinding) gets nowhere.
Nothing here writes to the database: services.run_capture does that."""

import hashlib
import io
import ipaddress
import re
import socket
import time
import unicodedata
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings
from rapidfuzz import fuzz
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

USER_AGENT = "ClaimTracker-capture/1.0 (evidence archive)"
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
# Worth trying again later: the server or the network may be better in a minute.
TRANSIENT_STATUSES = {429, 502, 503, 504}
TEXT_TYPES = {"text/html", "application/xhtml+xml", "text/plain"}
CHUNK = 64 * 1024


class CaptureRefused(Exception):
    """The address may not or cannot be captured; trying again won't help."""


class CaptureFailed(Exception):
    """A transient failure (timeout, refused connection): worth trying again later."""


@dataclass
class Hop:
    url: str
    request_line: str
    request_headers: list
    status: int
    reason: str
    headers: list
    body: bytes


@dataclass
class Page:
    hops: list = field(default_factory=list)

    @property
    def final(self):
        return self.hops[-1]

    @property
    def content_type(self):
        return header(self.final.headers, "content-type")[:200]

    @property
    def sha256(self):
        return hashlib.sha256(self.final.body).hexdigest()

    def warc_bytes(self):
        """Every hop as a request and a response record, gzipped (one member per record)."""
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        writer.write_record(
            writer.create_warcinfo_record("capture.warc.gz", {"software": USER_AGENT})
        )
        for hop in self.hops:
            request = StatusAndHeaders(hop.request_line, hop.request_headers, is_http_request=True)
            writer.write_record(writer.create_warc_record(hop.url, "request", http_headers=request))
            response = StatusAndHeaders(
                f"{hop.status} {hop.reason}".strip(), hop.headers, protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    hop.url,
                    "response",
                    payload=io.BytesIO(hop.body),
                    length=len(hop.body),
                    http_headers=response,
                )
            )
        return buffer.getvalue()


def header(headers, name):
    for key, value in headers:
        if key.lower() == name:
            return value
    return ""


def address_allowed(ip):
    address = ipaddress.ip_address(ip)
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for network in settings.CAPTURE_ALLOWED_NETWORKS:
        if address in ipaddress.ip_network(network, strict=False):
            return True
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return False
    if settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES and (address.is_private or address.is_loopback):
        return True
    # is_global is False for loopback, private, link-local, shared (100.64/10) and the
    # documentation ranges, in IPv4 and IPv6 alike.
    return address.is_global


def resolve(host, port):
    """The one address this hop connects to, after checking every address the name has."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise CaptureFailed(f"the name {host} could not be resolved ({error})") from None
    addresses = [info[4][0] for info in infos]
    for address in addresses:
        if not address_allowed(address):
            raise CaptureRefused(
                f"{host} points to {address}, a private or reserved address, which is not fetched"
            )
    return addresses[0]


def check_url(url):
    """(scheme, host, port, path) of a URL that may be fetched, or CaptureRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise CaptureRefused(f"not a usable address ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise CaptureRefused(f"only http and https addresses are fetched, not {scheme or '?'}:")
    if not parts.hostname:
        raise CaptureRefused("the address has no host name")
    port = port or (443 if scheme == "https" else 80)
    if port not in settings.CAPTURE_ALLOWED_PORTS:
        raise CaptureRefused(f"port {port} is not fetched (allowed: CAPTURE_ALLOWED_PORTS)")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, parts.hostname, port, path


def _fetch_hop(url, deadline):
    scheme, host, port, path = check_url(url)
    address = resolve(host, port)
    default_port = 443 if scheme == "https" else 80
    host_header = f"[{host}]" if ":" in host else host
    if port != default_port:
        host_header += f":{port}"
    # Credentials in the URL (user:password@) are dropped, and no cookies are ever kept.
    request_headers = [
        ("Host", host_header),
        ("User-Agent", USER_AGENT),
        ("Accept", "text/html,application/xhtml+xml,*/*;q=0.8"),
        ("Accept-Encoding", "identity"),
        ("Connection", "close"),
    ]
    timeout = urllib3.Timeout(
        connect=settings.CAPTURE_TIMEOUT_SECONDS, read=settings.CAPTURE_TIMEOUT_SECONDS
    )
    options = {"timeout": timeout, "retries": False, "maxsize": 1}
    if scheme == "https":
        # Connect to the checked address, but verify the certificate and send SNI for the name.
        pool = urllib3.HTTPSConnectionPool(
            address,
            port,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
            **options,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **options)
    max_bytes = settings.CAPTURE_MAX_BYTES
    try:
        response = pool.urlopen(
            "GET",
            path,
            headers=dict(request_headers),
            redirect=False,
            preload_content=False,
            decode_content=False,
            assert_same_host=False,
        )
        try:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise CaptureRefused(f"the page is larger than {max_bytes:,} bytes")
            body = bytearray()
            for chunk in response.stream(CHUNK, decode_content=False):
                body += chunk
                if len(body) > max_bytes:
                    raise CaptureRefused(f"the page is larger than {max_bytes:,} bytes")
                if time.monotonic() > deadline:
                    raise CaptureFailed("the page took too long to arrive")
        finally:
            response.release_conn()
            pool.close()
    except urllib3.exceptions.TimeoutError:
        raise CaptureFailed(f"no answer within {settings.CAPTURE_TIMEOUT_SECONDS} s") from None
    except urllib3.exceptions.SSLError as error:
        raise CaptureRefused(f"TLS failed ({error})") from None
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise CaptureFailed(f"connection failed ({error.__class__.__name__})") from None
    # The body is stored de-chunked, so the header that would tell a reader to de-chunk goes.
    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "transfer-encoding"]
    return Hop(
        url=url,
        request_line=f"GET {path} HTTP/1.1",
        request_headers=request_headers,
        status=response.status,
        reason=response.reason or "",
        headers=headers,
        body=bytes(body),
    )


def fetch_page(url):
    """Follow the redirects from `url`, checking each hop; the Page has every hop."""
    page = Page()
    deadline = time.monotonic() + 3 * settings.CAPTURE_TIMEOUT_SECONDS
    for _ in range(settings.CAPTURE_MAX_REDIRECTS + 1):
        hop = _fetch_hop(url, deadline)
        page.hops.append(hop)
        location = header(hop.headers, "location")
        if hop.status not in REDIRECT_STATUSES or not location:
            return page
        url = urljoin(url, location)
    raise CaptureRefused(f"more than {settings.CAPTURE_MAX_REDIRECTS} redirects")


def page_text(page):
    """The page's main text: trafilatura for HTML, falling back to all of the body's text."""
    hop = page.final
    media_type = page.content_type.split(";")[0].strip().lower()
    if media_type not in TEXT_TYPES:
        return ""
    body = hop.body
    if header(hop.headers, "content-encoding").lower() in {"gzip", "deflate"}:
        try:
            body = zlib.decompress(body, wbits=47)
        except zlib.error:
            return ""
    if media_type == "text/plain":
        return body.decode("utf-8", errors="replace")
    import lxml.html
    import trafilatura

    text = trafilatura.extract(body, include_comments=False, include_tables=True)
    if text:
        return text
    # Short pages are below the extractor's minimum; their whole text is then the content.
    try:
        document = lxml.html.fromstring(body)
    except (ValueError, lxml.etree.ParserError):
        return ""
    for element in document.xpath("//script|//style|//noscript"):
        element.drop_tree()
    return re.sub(r"[ \t]+", " ", document.text_content()).strip()


# Quote check -------------------------------------------------------------------------------

QUOTE_MARKS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
    }
)
# A quote this close (0–1) to some passage of the text counts as "found with changes".
FUZZY_THRESHOLD = 0.85


def normalise(text):
    """Compare words, not typography: one kind of quote mark and dash, one space, lower case."""
    text = unicodedata.normalize("NFKC", text).translate(QUOTE_MARKS)
    return " ".join(text.split()).casefold()


@dataclass
class QuoteMatch:
    result: str  # "found", "changed" or "not_found" (models.QuoteCheck values)
    score: float


def match_quote(quote, text):
    quote, text = normalise(quote), normalise(text)
    if not quote or not text:
        return QuoteMatch("not_found", 0.0)
    if quote in text:
        return QuoteMatch("found", 1.0)
    # Surrounding quote marks and final punctuation are often the quoter's, not the page's.
    trimmed = quote.strip("\"' .,;:")
    if trimmed and trimmed in text:
        return QuoteMatch("found", 1.0)
    score = round(fuzz.partial_ratio(quote, text) / 100, 3)
    return QuoteMatch("changed" if score >= FUZZY_THRESHOLD else "not_found", score)
