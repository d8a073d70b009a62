"""The writer the crash harness kills: patients carried through the real pathway services, without end.

Each line it prints names something whose transaction has committed ("acknowledged"); the harness keeps the
lines it read before the kill, and after the crash every one of them must still be there.
Usage: python -m drills.workload RUN_TAG
"""

from __future__ import annotations

import itertools
import sys
from datetime import date

from drills.common import PASSWORD, django_setup, drill_actors


def main() -> None:
    django_setup()
    from handregen.demo_showcase import advance
    from handregen.pathway.services import episode_open
    from handregen.patients.services import patient_register

    actors = drill_actors()
    physician = actors["physician"]
    tag = sys.argv[1] if len(sys.argv) > 1 else "0"
    for n in itertools.count(1):
        patient = patient_register(
            actor=physician,
            mrn=f"CRASH-{tag}-{n}",
            given_name="Drill",
            family_name=f"Patient {n}",
            birth_date=date(1960, 1, 1),
            sex="female",
            dominant_hand="right",
        )
        print(f"patient {patient.pk}", flush=True)
        episode = episode_open(
            actor=physician, patient=patient, indication="thumb_cmc_oa", side="right", target_joints=["CMC1"]
        )
        print(f"episode {episode.pk}", flush=True)
        advance(
            episode,
            "follow_up",
            physician=physician,
            nurse=actors["nurse"],
            labtech=actors["lab_technician"],
            password=PASSWORD,
        )
        print(f"journey {episode.pk}", flush=True)


if __name__ == "__main__":
    main()
