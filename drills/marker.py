"""Write or look for a marker patient (through the registration service, so the audit chain moves too).

Usage: python -m drills.marker write|check NAME   (check prints 'present' or 'absent')
"""

from __future__ import annotations

import sys
from datetime import date

from drills.common import django_setup, drill_actors


def main() -> int:
    django_setup()
    from handregen.patients.models import Patient
    from handregen.patients.services import patient_register

    verb, name = sys.argv[1], sys.argv[2]
    mrn = f"MARKER-{name}"
    if verb == "write":
        patient_register(
            actor=drill_actors()["physician"],
            mrn=mrn,
            given_name="Marker",
            family_name=name,
            birth_date=date(1970, 1, 1),
            sex="male",
            dominant_hand="left",
        )
        print("written")
    else:
        print("present" if Patient.objects.filter(mrn=mrn).exists() else "absent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
