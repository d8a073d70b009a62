"""The demo site: two clinics, one user per role, a few patients at different stages. Safe to rerun."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from handregen.accounts.actor import Actor
from handregen.accounts.services import site_ensure, staff_ensure
from handregen.pathway.services import episode_open, protocol_sync_shipped
from handregen.patients.models import Patient
from handregen.patients.services import patient_register

DEMO_STAFF = [
    ("physician", "physician", "Ada", "Okafor"),
    ("nurse", "nurse", "Ben", "Lindqvist"),
    ("coordinator", "coordinator", "Chloe", "Martin"),
    ("labtech", "lab_technician", "Dev", "Patel"),
    ("researcher", "researcher", "Eva", "Novak"),
    ("siteadmin", "site_admin", "Finn", "Byrne"),
    ("steward", "data_steward", "Dana", "Reyes"),
]

DEMO_PATIENTS = [
    ("DEMO-0001", "Margaret", "Hughes", date(1956, 3, 14), "female", "right", "thumb_cmc_oa", "right", ["CMC1"]),
    ("DEMO-0002", "Arthur", "Bennett", date(1949, 11, 2), "male", "right", "thumb_cmc_oa", "left", ["CMC1"]),
    ("DEMO-0003", "Priya", "Shah", date(1962, 7, 21), "female", "left", "finger_oa", "left", ["PIP3", "DIP2"]),
    ("DEMO-0004", "Helen", "O'Connor", date(1958, 1, 30), "female", "right", "wrist_oa", "right", ["RADIOCARPAL"]),
    ("DEMO-0005", "Samuel", "Adebayo", date(1953, 9, 9), "male", "right", "thumb_cmc_oa", "right", ["CMC1"]),
    ("DEMO-0006", "Ines", "Carvalho", date(1961, 4, 17), "female", "right", "thumb_cmc_oa", "right", ["CMC1"]),
    ("DEMO-0007", "Grace", "Lindgren", date(1950, 12, 5), "female", "left", "thumb_cmc_oa", "left", ["CMC1"]),
    ("DEMO-0008", "Tomasz", "Nowak", date(1959, 6, 23), "male", "right", "thumb_cmc_oa", "right", ["CMC1"]),
]


# Synthetic patients (clearly marked, MRN SYN1-…) that fill the demo's cohort figures and worklists.
DEMO_SYNTHETIC_PATIENTS = 300
DEMO_SYNTHETIC_SEED = 1


@dataclass(frozen=True)
class DemoResult:
    password: str
    password_source: str
    logins: list[tuple[str, str, str]]  # username, role, site
    synthetic_patients: int = 0  # written by this run (0 when the demo site already had them)


def demo_password() -> tuple[str, str]:
    """HANDREGEN_DEMO_PASSWORD, else the one generated on the first run (kept in var/, mode 0600)."""
    from_env = os.environ.get("HANDREGEN_DEMO_PASSWORD")
    if from_env:
        return from_env, "HANDREGEN_DEMO_PASSWORD"
    path = Path(settings.VAR_DIR) / "demo-password"
    if path.exists():
        return path.read_text().strip(), str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    password = "-".join(secrets.token_hex(3) for _ in range(4))  # 27 characters, easy to type
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password, str(path)


@transaction.atomic
def build_demo() -> DemoResult:
    password, source = demo_password()
    protocol_sync_shipped()
    demo = site_ensure(code="demo", name="Demo Hand Clinic", facility_code="X9999", phone="+44 20 7946 0000")
    north = site_ensure(code="north", name="North Hand Clinic", facility_code="X9998", phone="+44 161 496 0000")
    logins = []
    users = {}
    for username, role, first, last in DEMO_STAFF:
        users[username] = staff_ensure(
            site=demo, username=username, role=role, password=password, first_name=first, last_name=last
        )
        logins.append((username, role, demo.name))
    users["north.physician"] = staff_ensure(
        site=north,
        username="north.physician",
        role="physician",
        password=password,
        first_name="Grace",
        last_name="Adeyemi",
    )
    logins.append(("north.physician", "physician", north.name))

    physician = Actor(user=users["physician"], site=demo, role="physician")
    for mrn, given, family, born, sex, hand, indication, side, joints in DEMO_PATIENTS:
        if Patient.objects.filter(site=demo, mrn=mrn).exists():
            continue
        patient = patient_register(
            actor=physician, mrn=mrn, given_name=given, family_name=family, birth_date=born, sex=sex, dominant_hand=hand
        )
        episode_open(actor=physician, patient=patient, indication=indication, side=side, target_joints=joints)
    north_actor = Actor(user=users["north.physician"], site=north, role="physician")
    if not Patient.objects.filter(site=north, mrn="NORTH-0001").exists():
        patient = patient_register(
            actor=north_actor,
            mrn="NORTH-0001",
            given_name="Oliver",
            family_name="Grant",
            birth_date=date(1960, 5, 5),
            sex="male",
            dominant_hand="right",
        )
        episode_open(
            actor=north_actor, patient=patient, indication="thumb_cmc_oa", side="right", target_joints=["CMC1"]
        )
    from handregen.demo_showcase import build_showcase

    build_showcase(
        site=demo,
        physician=physician,
        nurse=Actor(user=users["nurse"], site=demo, role="nurse"),
        labtech=Actor(user=users["labtech"], site=demo, role="lab_technician"),
        password=password,
    )
    from handregen.scheduling.demo import build_demo_calendar

    build_demo_calendar(
        admin=Actor(user=users["siteadmin"], site=demo, role="site_admin"),
        physician=physician,
        coordinator=Actor(user=users["coordinator"], site=demo, role="coordinator"),
    )
    # Demo users get an authenticator already enrolled; `handregen mfa code USERNAME` prints its code. Enrolled
    # after the showcase, whose scripted signatures give the password only (a signer with a device needs a code).
    for user in users.values():
        TOTPDevice.objects.get_or_create(user=user, name="demo authenticator", defaults={"confirmed": True})
    synthetic = 0
    if not Patient.objects.filter(site=demo, is_synthetic=True).exists():
        from handregen.analytics.synthetic.writer import synth_registry

        synthetic = synth_registry(site=demo, count=DEMO_SYNTHETIC_PATIENTS, seed=DEMO_SYNTHETIC_SEED).patients
    return DemoResult(password=password, password_source=source, logins=logins, synthetic_patients=synthetic)
