"""Domain errors raised by services and turned into each edge's own form (409, 422, a page message)."""

from __future__ import annotations

from collections.abc import Iterable


class HandregenError(Exception):
    """Base of the errors a service raises on purpose."""

    # Refused signing credentials to count towards the lockout once the refused change has been rolled back
    # (`accounts.signing_throttle.failed_credentials_record`); set by `accounts.reauth`.
    failed_credentials: tuple[object, ...] = ()


class GuardRefused(HandregenError):
    """A pathway step or record change was refused; `reasons` says why, one plain sentence per guard."""

    def __init__(self, reasons: Iterable[str]):
        self.reasons = [str(r) for r in reasons]
        super().__init__("; ".join(self.reasons) or "refused")


class InvalidInput(HandregenError):
    """Input that cannot be accepted as given; `errors` pairs a field name with a message."""

    def __init__(self, errors: Iterable[tuple[str, str]]):
        self.errors = list(errors)
        super().__init__("; ".join(f"{f}: {m}" for f, m in self.errors))


class NotFound(HandregenError):
    """The object does not exist or belongs to another site; never say which."""


class Forbidden(HandregenError):
    """The actor's role does not carry the permission the action needs."""


class RecordProtected(HandregenError):
    """A write that would bypass the services' audit (bulk update, delete of a clinical record)."""


class ReauthenticationRefused(InvalidInput):
    """A signer's password or two-factor code was missing or wrong at signing time (422 naming the field).

    Signing services roll the attempt back and audit it like a guard refusal, so `reasons` reads like one.
    """

    @property
    def reasons(self) -> list[str]:
        return [f"{field}: {message}" for field, message in self.errors]
