"""Seed data for benchmarks: many patients with episodes, through the real services."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from handregen.accounts.actor import Actor
from handregen.pathway.models import Episode
from handregen.pathway.services import episode_open
from handregen.patients.services import patient_register

_SURNAMES = ["Tyler", "Okafor", "Byrne", "Novak", "Shah", "Hughes", "Bennett", "Martin", "Patel", "Grant"]


def seed_patients(*, actor: Actor, count: int) -> Episode:
    """Register `count` synthetic patients, each with one referred episode; return the last episode."""
    episode = None
    for start in range(0, count, 500):
        with transaction.atomic():
            for n in range(start, min(start + 500, count)):
                patient = patient_register(
                    actor=actor,
                    mrn=f"BENCH-{n:07d}",
                    given_name=f"Pat{n}",
                    family_name=_SURNAMES[n % 10],
                    birth_date=date(1940 + n % 45, 1 + n % 12, 1 + n % 28),
                    sex=("female", "male")[n % 2],
                    dominant_hand="right",
                    is_synthetic=True,
                )
                episode = episode_open(
                    actor=actor, patient=patient, indication="thumb_cmc_oa", side="right", target_joints=["CMC1"]
                )
    assert episode is not None
    return episode
