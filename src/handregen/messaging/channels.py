"""Channels a message can go through. A channel says where it would reach a patient and sends one message;
it raises on failure. HANDREGEN_MESSAGE_CHANNELS maps a channel name to its class, so a clinic can add an
SMS gateway (a class with `name`, `address_of` and `send`) without touching the callers."""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from handregen.patients.models import Patient


class Channel(Protocol):
    name: str

    def address_of(self, patient: Patient) -> str:
        """Where this channel reaches the patient; "" when it cannot."""

    def send(self, *, to: str, subject: str, body: str) -> None:
        """Hand one message over; raise when it cannot be sent."""


class EmailChannel:
    """E-mail through Django's e-mail framework (SMTP, file or console backend by settings)."""

    name = "email"

    def address_of(self, patient: Patient) -> str:
        return patient.email or ""

    def send(self, *, to: str, subject: str, body: str) -> None:
        EmailMessage(subject=subject, body=body, to=[to]).send(fail_silently=False)


def channel(name: str) -> Channel:
    """The channel called `name`; KeyError naming the known ones."""
    known: dict[str, str] = settings.HANDREGEN_MESSAGE_CHANNELS
    if name not in known:
        raise KeyError(f"no message channel {name!r}; known: {', '.join(sorted(known))}")
    made: Channel = import_string(known[name])()
    return made
