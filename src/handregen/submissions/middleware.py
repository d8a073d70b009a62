"""Every submission counts once (security requirement R5), for every staff form and every API POST.

Staff forms carry a one-time token (`{% form_token %}`). The view, and so the service it calls, runs in one
transaction with the token's row: a successful submission (a redirect, Post/Redirect/Get) stores the token
with where it led, a refused one stores nothing and the re-shown form carries a new token. The same token
again (Back and re-submit, a double click) does not reach the view: it is sent where the first one led.

API POSTs with an `Idempotency-Key` header: the first response is stored with the key and a digest of the
body, in the transaction of the write; the same key with the same body replays it (header
`Idempotent-Replayed: true`), the same key with another body is a 422. Concurrent requests with one key
queue on the key's unique index, so the second sees the first one's stored response.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse

from handregen.submissions.models import FormSubmission, IdempotentRequest

FORM_TOKEN_FIELD = "_form_token"  # noqa: S105 - the name of a form field, not a secret
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200


class SubmissionOnceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return self.get_response(request)
        if request.path.startswith("/api/"):
            key = request.headers.get(IDEMPOTENCY_HEADER)
            return self.get_response(request) if key is None else _idempotent(request, key, self.get_response)
        token = request.POST.get(FORM_TOKEN_FIELD, "")
        if not token:
            return self.get_response(request)
        return _form_once(request, token[:64], self.get_response)


# --- staff forms -----------------------------------------------------------------------------------------


def _form_once(request: HttpRequest, token: str, get_response: Callable[[HttpRequest], HttpResponse]) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = FormSubmission.objects.create(token=token, user=user, path=request.path[:300])
        except IntegrityError:
            return _already_submitted(request, token)
        response = get_response(request)
        if 300 <= response.status_code < 400 and response.get("Location"):
            row.location = response["Location"][:500]
            row.save(update_fields=["location"])
        else:  # refused or re-shown: nothing was recorded, so the same form may be sent again
            row.delete()
        return response


def _already_submitted(request: HttpRequest, token: str) -> HttpResponse:
    first = FormSubmission.objects.filter(token=token).first()
    user_id = request.user.pk if request.user.is_authenticated else None
    if first is None or first.user_id != user_id or not first.location:
        return HttpResponse(
            "This form was already sent. Open the page again to make a new entry.",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    messages.info(request, "This form was already sent, so nothing was recorded twice. This is what it recorded.")
    return HttpResponseRedirect(first.location)


# --- API POSTs -------------------------------------------------------------------------------------------


def _body_digest(body: bytes) -> str:
    """The digest of a JSON body in canonical form (key order and spacing do not matter), else of its bytes."""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def _problem(status: int, title: str, detail: str) -> JsonResponse:
    body = {
        "type": f"urn:handregen:problem:{title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    return JsonResponse(body, status=status, content_type="application/problem+json")


def _idempotent(request: HttpRequest, key: str, get_response: Callable[[HttpRequest], HttpResponse]) -> HttpResponse:
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        return _problem(
            422, "Invalid idempotency key", f"The {IDEMPOTENCY_HEADER} header must be 1 to {MAX_KEY_LENGTH} characters."
        )
    credentials = request.headers.get("Authorization", "") or request.COOKIES.get("sessionid", "")
    scope = hashlib.sha256(credentials.encode()).hexdigest()
    digest = _body_digest(request.body)
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = IdempotentRequest.objects.create(
                    scope=scope, key=key, method=request.method or "POST", path=request.path[:300], body_sha256=digest
                )
        except IntegrityError:
            return _replay(scope=scope, key=key, digest=digest, path=request.path)
        response = get_response(request)
        if response.status_code >= 500 or getattr(response, "streaming", False):
            row.delete()  # not a final answer: the caller may try again with the same key
            return response
        row.status = response.status_code
        row.content_type = response.get("Content-Type", "")[:100]
        row.body = response.content
        row.save(update_fields=["status", "content_type", "body"])
        return response


def _replay(*, scope: str, key: str, digest: str, path: str) -> HttpResponse:
    first = IdempotentRequest.objects.get(scope=scope, key=key)
    if first.body_sha256 != digest or first.path != path[:300]:
        return _problem(
            422,
            "Idempotency key reused",
            f"This {IDEMPOTENCY_HEADER} was used for another request "
            "(a different body or address); use a new key for a new request.",
        )
    if first.status is None:
        return _problem(409, "Request in progress", "A request with this key is still being processed; try again.")
    response = HttpResponse(bytes(first.body), status=first.status, content_type=first.content_type or None)
    response[REPLAYED_HEADER] = "true"
    return response
