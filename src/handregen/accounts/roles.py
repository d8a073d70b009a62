"""Roles and permissions as data: the single source of which role may do what.

Services check a permission with `Actor.require(...)`; views and the API ask the same question.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Permission(StrEnum):
    PATIENT_VIEW = "patient_view"
    PATIENT_REGISTER = "patient_register"
    EPISODE_OPEN = "episode_open"
    CONSULTATION_RECORD = "consultation_record"
    CANDIDACY_DECIDE = "candidacy_decide"
    CONSENT_RECORD = "consent_record"
    PREPARATION_COMPLETE = "preparation_complete"
    HARVEST_RECORD = "harvest_record"
    PRODUCT_PROCESS = "product_process"
    PRODUCT_RELEASE = "product_release"
    PRODUCT_VERIFY = "product_verify"
    INJECTION_RECORD = "injection_record"
    POST_CARE_RECORD = "post_care_record"
    FOLLOW_UP_RECORD = "follow_up_record"
    ADVERSE_EVENT_RECORD = "adverse_event_record"
    EPISODE_WITHDRAW = "episode_withdraw"
    EPISODE_COMPLETE = "episode_complete"
    CYCLE_REPEAT = "cycle_repeat"
    COHORT_VIEW_DEIDENTIFIED = "cohort_view_deidentified"
    RESEARCH_EXPORT = "research_export"
    AUDIT_VIEW = "audit_view"
    USER_MANAGE = "user_manage"
    # Emergency read of one patient of another site, with a reason, for at most 60 minutes (A6, patients.services
    # break_glass_open); every use is a flagged audit event on that patient's site, listed on its break-glass report.
    BREAK_GLASS = "break_glass"
    REGISTRY_IMPORT = "registry_import"  # migration import of a whole registry at an empty site
    # Unlocking a locked record (signed consent, released product, closed adverse event) voids its signatures.
    UNLOCK_RECORDS = "unlock_records"
    # FHIR bulk export of every patient of the site (identifiable data leaving the system): its own permission,
    # not part of any clinical role; seeing and cancelling other users' exports is the site admin's.
    BULK_EXPORT = "bulk_export"
    BULK_EXPORT_OVERSEE = "bulk_export_oversee"
    APPOINTMENT_BOOK = "appointment_book"  # book, move and cancel patients' appointments
    SCHEDULE_MANAGE = "schedule_manage"  # the calendar's clinicians, rooms, lab capacity, hours and closures


class Role(StrEnum):
    PHYSICIAN = "physician"
    NURSE = "nurse"
    COORDINATOR = "coordinator"
    LAB_TECHNICIAN = "lab_technician"
    RESEARCHER = "researcher"
    SITE_ADMIN = "site_admin"
    DATA_STEWARD = "data_steward"


@dataclass(frozen=True)
class RoleSpec:
    description: str
    permissions: frozenset[Permission]


P = Permission
_CLINICAL_READ = {P.PATIENT_VIEW, P.COHORT_VIEW_DEIDENTIFIED}

ROLES: dict[Role, RoleSpec] = {
    Role.PHYSICIAN: RoleSpec(
        "Sees patients, decides candidacy, takes consent, harvests, injects and assesses adverse events.",
        frozenset(
            _CLINICAL_READ
            | {
                P.PATIENT_REGISTER,
                P.EPISODE_OPEN,
                P.CONSULTATION_RECORD,
                P.CANDIDACY_DECIDE,
                P.CONSENT_RECORD,
                P.PREPARATION_COMPLETE,
                P.HARVEST_RECORD,
                P.PRODUCT_VERIFY,
                P.INJECTION_RECORD,
                P.POST_CARE_RECORD,
                P.FOLLOW_UP_RECORD,
                P.ADVERSE_EVENT_RECORD,
                P.EPISODE_WITHDRAW,
                P.EPISODE_COMPLETE,
                P.CYCLE_REPEAT,
                P.BREAK_GLASS,
                P.APPOINTMENT_BOOK,
            }
        ),
    ),
    Role.NURSE: RoleSpec(
        "Prepares patients, monitors after the procedure, records follow-ups and adverse events.",
        frozenset(
            _CLINICAL_READ
            | {
                P.PATIENT_REGISTER,
                P.EPISODE_OPEN,
                P.PREPARATION_COMPLETE,
                P.POST_CARE_RECORD,
                P.FOLLOW_UP_RECORD,
                P.ADVERSE_EVENT_RECORD,
                P.EPISODE_WITHDRAW,
                P.APPOINTMENT_BOOK,
            }
        ),
    ),
    Role.COORDINATOR: RoleSpec(
        "Registers patients and referrals, schedules, sends questionnaires and chases follow-ups.",
        frozenset(
            _CLINICAL_READ
            | {
                P.PATIENT_REGISTER,
                P.EPISODE_OPEN,
                P.FOLLOW_UP_RECORD,
                P.EPISODE_WITHDRAW,
                P.EPISODE_COMPLETE,
                P.APPOINTMENT_BOOK,
            }
        ),
    ),
    Role.LAB_TECHNICIAN: RoleSpec(
        "Receives and processes cell products, records counts and viability, releases and labels them.",
        frozenset({P.PATIENT_VIEW, P.PRODUCT_PROCESS, P.PRODUCT_RELEASE, P.PRODUCT_VERIFY}),
    ),
    Role.RESEARCHER: RoleSpec(
        "Sees de-identified cohort figures and exports only; never a patient's identity.",
        frozenset({P.COHORT_VIEW_DEIDENTIFIED, P.RESEARCH_EXPORT}),
    ),
    Role.SITE_ADMIN: RoleSpec(
        "Manages users, roles, protocol versions and the calendar's resources and hours, reviews the audit trail "
        "and the break-glass report, migrates a registry in, and unlocks locked records with a reason (kept apart "
        "from the clinical and lab roles who sign them).",
        frozenset(
            {
                P.USER_MANAGE,
                P.AUDIT_VIEW,
                P.COHORT_VIEW_DEIDENTIFIED,
                P.BREAK_GLASS,
                P.REGISTRY_IMPORT,
                P.UNLOCK_RECORDS,
                P.BULK_EXPORT,
                P.BULK_EXPORT_OVERSEE,
                P.SCHEDULE_MANAGE,
            }
        ),
    ),
    Role.DATA_STEWARD: RoleSpec(
        "Exports the site's records in the standard FHIR format for a registry or another system (each export is "
        "limited, kept for a short time and recorded); does not work with patients.",
        frozenset({P.BULK_EXPORT}),
    ),
}


def role_has(role: str, permission: Permission) -> bool:
    """True when `role` carries `permission`; unknown roles carry nothing (deny by default)."""
    try:
        return permission in ROLES[Role(role)].permissions
    except ValueError:
        return False
