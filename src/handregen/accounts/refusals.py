"""One decorator for every service step whose refusal must leave a trace: run the step in its own transaction;
when a guard or a signer's check refuses it, roll the step back, count the failed credentials it carried, and
audit the refusal (its reasons, never the values) on the record it concerned."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, NamedTuple, ParamSpec, TypeVar

from django.db import transaction

from handregen.accounts.actor import Actor
from handregen.accounts.signing_throttle import failed_credentials_record
from handregen.audit.services import audit_refusal
from handregen.errors import GuardRefused, ReauthenticationRefused

P = ParamSpec("P")
R = TypeVar("R")


class Subject(NamedTuple):
    """What a refused step concerned, for its audit event."""

    object_type: str
    object_id: Any
    patient_id: Any = None
    episode_id: Any = None


def refusals_audited_as(
    action: str, subject: Callable[[Mapping[str, Any], Actor], Subject]
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a service that takes keyword arguments; `subject` names the record from them after a refusal."""

    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        @wraps(service)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                with transaction.atomic():
                    return service(*args, **kwargs)
            except (GuardRefused, ReauthenticationRefused) as refusal:  # a failed signer check is audited too
                actor = kwargs["actor"]
                assert isinstance(actor, Actor)
                about = subject(kwargs, actor)
                failed_credentials_record(refusal, actor=actor)  # the detail first, then the step refused
                audit_refusal(
                    actor=actor,
                    action=action,
                    object_type=about.object_type,
                    object_id=about.object_id,
                    reasons=refusal.reasons,
                    patient_id=about.patient_id,
                    episode_id=about.episode_id,
                )
                raise

        return run

    return decorate
