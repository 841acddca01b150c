"""`Idempotency-Key` on API writes: a retried write answers what the first one did.

A client that sent a write and got no answer, a timeout or a 503 can't know whether it was
saved. Sent again with the same `Idempotency-Key` header (any unique string, e.g. a UUID),
the write is done at most once: within 24 hours the same key, user and request get the
first answer back (with `Idempotency-Replayed: true`) and nothing is written; the same key
with a different request is a 422. Only successful answers are kept, so a refused write can
be corrected and sent again with the same key."""

import datetime
import hashlib
import json

from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from claims import services
from claims.models import IdempotencyKey

HEADER = "Idempotency-Key"
LIFETIME = datetime.timedelta(hours=24)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_KEY_LENGTH = IdempotencyKey._meta.get_field("key").max_length


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        f"This {HEADER} was used for a different request in the last 24 hours; "
        "use a new key for a new request."
    )
    default_code = "idempotency_key_reused"


class BadKey(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters."
    default_code = "bad_idempotency_key"


class KeyInUse(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = (
        f"A request with this {HEADER} is being processed; retry it in a moment to get its answer."
    )
    default_code = "idempotency_key_in_use"


class _Replay(Exception):
    def __init__(self, record):
        self.record = record


def _request_hash(request):
    digest = hashlib.sha256()
    for part in (request.method, request.get_full_path()):
        digest.update(part.encode() + b"\0")
    try:
        digest.update(request._request.body)
    except RawPostDataException:
        # A multipart body was already read as a stream (the CSRF check reads the form):
        # its parsed fields stand for it.
        digest.update(json.dumps(request.data, sort_keys=True, default=str).encode())
    return digest.hexdigest()


class IdempotentWritesMixin:
    """For viewsets: writes carrying an Idempotency-Key run in one transaction together with
    the record of their answer."""

    _idempotency = None

    def dispatch(self, request, *args, **kwargs):
        if request.method not in WRITE_METHODS or HEADER not in request.headers:
            return super().dispatch(request, *args, **kwargs)
        try:
            with transaction.atomic():
                response = super().dispatch(request, *args, **kwargs)
                if self._idempotency is not None and 200 <= response.status_code < 300:
                    self._save_answer(response)
        except IntegrityError:
            # Another request with this key committed first: this one wrote nothing.
            response = self.finalize_response(
                self.request, self.handle_exception(KeyInUse()), *args, **kwargs
            )
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication and permissions first
        if request.method not in WRITE_METHODS or HEADER not in request.headers:
            return
        key = request.headers[HEADER]
        if not (0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()):
            raise BadKey()
        now = timezone.now()
        request_hash = _request_hash(request)
        record = (
            IdempotencyKey.objects.select_for_update()
            .filter(user=request.user, key=key, expires_at__gt=now)
            .first()
        )
        if record is not None:
            if record.request_hash != request_hash:
                raise KeyReused()
            raise _Replay(record)
        services.forget_expired_api_answers(now)
        self._idempotency = (key, request_hash, now)

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            body = exc.record.response_body
            response = Response(json.loads(body) if body else None, status=exc.record.status_code)
            response["Idempotency-Replayed"] = "true"
            return response
        return super().handle_exception(exc)

    def _save_answer(self, response):
        key, request_hash, now = self._idempotency
        body = "" if response.data is None else json.dumps(response.data, cls=JSONEncoder)
        services.remember_api_answer(
            user=self.request.user,
            key=key,
            request_hash=request_hash,
            status_code=response.status_code,
            response_body=body,
            expires_at=now + LIFETIME,
        )
