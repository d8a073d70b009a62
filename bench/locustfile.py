"""The load test's people (bench/load.py starts Locust with this file): staff working a clinic day.

Each staff user holds a signed-in session (cookie) and a bearer token, and mixes reading worklists and episode
pages with registering patients and opening their episodes through the API. Every registration the server
acknowledged (201) is written to ACK_FILE, so that bench/load.py can check afterwards that none was lost or
stored twice.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading

from locust import HttpUser, between, task

SEED = json.loads(os.environ["HANDREGEN_LOAD_SEED"])
ACK_FILE = os.environ["HANDREGEN_LOAD_ACKS"]
_numbers = itertools.count(1)
_lock = threading.Lock()


class Staff(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.n = next(_numbers)
        self.client.cookies.set("sessionid", SEED["cookies"][self.n % len(SEED["cookies"])])
        self.bearer = {"Authorization": f"Bearer {SEED['token']}"}

    @task(2)
    def health(self) -> None:
        self.client.get("/health", name="health")  # the same-run baseline: a trivial view under the same load

    @task(4)
    def worklist(self) -> None:
        self.client.get(f"/worklists/{random.choice(SEED['worklists'])}/", name="worklist page")

    @task(4)
    def episode_page(self) -> None:
        self.client.get(f"/episodes/{random.choice(SEED['episodes'])}/", name="episode page")

    @task(2)
    def patient_search(self) -> None:
        self.client.get("/api/v1/patients?q=Tyl&limit=20", headers=self.bearer, name="patient search API")

    @task(1)
    def register_and_open(self) -> None:
        mrn = f"LOAD-{self.n}-{random.randrange(10**9)}"
        body = {
            "mrn": mrn,
            "given_name": "Load",
            "family_name": "Test",
            "birth_date": "1958-04-02",
            "sex": "female",
            "dominant_hand": "right",
        }
        with self.client.post(
            "/api/v1/patients", json=body, headers=self.bearer, name="register patient (API)", catch_response=True
        ) as answer:
            if answer.status_code != 201:
                answer.failure(f"registration answered {answer.status_code}")
                return
            with _lock, open(ACK_FILE, "a") as acks:
                acks.write(mrn + "\n")
        patient_id = answer.json()["id"]
        body = {"patient_id": patient_id, "indication": "thumb_cmc_oa", "side": "right", "target_joints": ["CMC1"]}
        self.client.post("/api/v1/episodes", json=body, headers=self.bearer, name="open episode (API)")
