"""U10 keyed, anchored audit chains: what the hostile tester did to a copy of the database, each now detected.

The tester dropped the append-only triggers and then (1) deleted a break-glass opening and re-hashed the rest of
the chain with the project's own digest function, (2) appended a forged "consent.sign", (3) cut off the tail and
(4) deleted every read event; `handregen audit verify` answered ok each time. The test database is the copy:
the trail below is written through the services and the API, with its commits' anchors in a file of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from handregen.audit.chain import GENESIS, event_digest
from handregen.audit.models import AccessEvent, AuditEvent
from handregen.audit.services import access_content, event_content, reads_chain
from handregen.audit.verify import verify_all
from handregen.patients.services import break_glass_open
from tests.conftest import AUDIT_TEST_KEY

KEY_ID, _, SECRET = AUDIT_TEST_KEY.partition(":")


@contextmanager
def _triggers_off() -> Iterator[Any]:
    """What only a database superuser can do: switch the append-only triggers off (U3) for the statements run."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in ("audit_auditevent", "audit_accessevent"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        else:
            cursor.execute("SET session_replication_role = replica")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def _reseal(chain: str, key: bytes | None) -> None:
    """Re-hash every event of a write chain in order with the project's digest function, as the tester did."""
    prev = GENESIS
    with _triggers_off() as cursor:
        for event in AuditEvent.objects.filter(chain=chain).order_by("seq"):
            event.prev_hash = prev
            event.hash = prev = event_digest(event_content(event), prev, key)
            cursor.execute("UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s",
                           [event.prev_hash, event.hash, event.seq])  # fmt: skip


@pytest.fixture
def anchor(settings: Any, tmp_path: Path) -> Path:
    settings.HANDREGEN_AUDIT_ANCHOR_FILE = str(tmp_path / "audit-anchor.log")
    return tmp_path / "audit-anchor.log"


@pytest.fixture
def trail(anchor, make_episode, persona, api, django_capture_on_commit_callbacks) -> dict[str, Any]:
    """Two episodes, a break-glass opening by North's physician and reads through the API, each committed."""
    with django_capture_on_commit_callbacks(execute=True):
        episode = make_episode()
    with django_capture_on_commit_callbacks(execute=True):
        make_episode()
    with django_capture_on_commit_callbacks(execute=True):
        grant = break_glass_open(actor=persona("physician", "north"), patient_id=episode.patient_id,
                                 reason="Unconscious in our emergency room; need allergies")  # fmt: skip
    client = api("physician")
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.get(f"/api/v1/patients/{episode.patient_id}").status_code == 200
    site = episode.site
    assert all(r.ok for r in verify_all(anchor))  # untouched, everything verifies against the anchors
    return {"chain": f"site:{site.pk}", "reads": reads_chain(site), "grant": grant}


def _problems(anchor: Path | None = None) -> dict[str, str]:
    return {r.chain: r.problem for r in verify_all(anchor) if not r.ok}


def test_every_commit_anchors_the_heads_of_the_chains_it_wrote(trail, anchor):
    lines = anchor.read_text().splitlines()
    chains = {line.split()[1] for line in lines}
    assert {trail["chain"], trail["reads"]} <= chains
    anchored = {line.split()[2] for line in lines if line.split()[1] == trail["chain"]}
    assert len(anchored) >= 3  # one head per commit that wrote to the chain: two episodes and the break-glass
    assert anchored <= set(AuditEvent.objects.filter(chain=trail["chain"]).values_list("hash", flat=True))


def test_reads_are_chained_per_site_and_sealed_with_the_key(trail):
    reads = list(AccessEvent.objects.filter(chain=trail["reads"]).order_by("id"))
    assert len(reads) >= 3 and {r.key_id for r in reads} == {KEY_ID}
    assert reads[0].prev_hash == GENESIS and all(b.prev_hash == a.hash for a, b in pairwise(reads))
    assert reads[1].hash == event_digest(access_content(reads[1]), reads[0].hash, SECRET.encode())


def test_deleting_a_break_glass_opening_and_rehashing_without_the_key_is_detected(trail, anchor):
    opening = AuditEvent.objects.get(action="break_glass.open")
    with _triggers_off() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [opening.seq])
    _reseal(trail["chain"], key=None)  # the project's digest function, without the key the attacker lacks
    assert trail["chain"] in _problems()  # detected even without the anchor file
    with pytest.raises(CommandError, match="broken"):
        call_command("audit", "verify")


def test_deleting_and_resealing_with_a_guessed_key_is_detected(trail):
    opening = AuditEvent.objects.get(action="break_glass.open")
    with _triggers_off() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [opening.seq])
    _reseal(trail["chain"], key=b"a guess at the key, 32 characters long")
    assert _problems()[trail["chain"]] == "content does not match its seal"


def test_even_with_the_stolen_key_a_rewrite_is_caught_by_the_anchor(trail, anchor):
    opening = AuditEvent.objects.get(action="break_glass.open")
    with _triggers_off() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [opening.seq])
    _reseal(trail["chain"], key=SECRET.encode())
    assert trail["chain"] not in _problems()  # the database alone now looks whole...
    assert "anchored head(s) missing" in _problems(anchor)[trail["chain"]]  # ...the anchor file says otherwise
    with pytest.raises(CommandError, match="anchored head"):
        call_command("audit", "verify", "--anchor", str(anchor))


def test_a_forged_consent_signature_appended_to_the_chain_is_detected(trail):
    last = AuditEvent.objects.filter(chain=trail["chain"]).order_by("-seq")[0]
    with _triggers_off() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (chain, occurred_at, actor_id, actor_label, actor_role, action, outcome, "
            "object_type, object_id, changes, reason, prev_hash, hash, site_id, key_id) "
            "SELECT chain, occurred_at, actor_id, actor_label, actor_role, 'consent.sign', outcome, 'consent', "
            "'forged', changes, reason, hash, '', site_id, key_id FROM audit_auditevent WHERE seq = %s",
            [last.seq],
        )
        forged = AuditEvent.objects.order_by("-seq")[0]
        sealed = event_digest(event_content(forged), last.hash, None)  # the project's function; no key to give it
        cursor.execute("UPDATE audit_auditevent SET hash = %s WHERE seq = %s", [sealed, forged.seq])
    [report] = [r for r in verify_all() if r.chain == trail["chain"]]
    assert (report.broken_at, report.problem) == (forged.seq, "content does not match its seal")


def test_cutting_off_the_tail_is_caught_by_the_anchor(trail, anchor):
    tail = list(AuditEvent.objects.filter(chain=trail["chain"]).order_by("-seq").values_list("seq", flat=True)[:3])
    with _triggers_off() as cursor:
        cursor.execute(f"DELETE FROM audit_auditevent WHERE seq IN ({', '.join(['%s'] * len(tail))})", tail)
    assert trail["chain"] not in _problems()  # what is left is a valid prefix...
    assert "anchored head(s) missing" in _problems(anchor)[trail["chain"]]  # ...but shorter than anchored


def test_deleting_every_read_event_is_caught_by_the_anchor(trail, anchor):
    with _triggers_off() as cursor:
        cursor.execute("DELETE FROM audit_accessevent")
    assert not AccessEvent.objects.exists()
    problems = _problems(anchor)
    assert "anchored head(s) missing" in problems[trail["reads"]]
    with pytest.raises(CommandError, match=trail["reads"]):
        call_command("audit", "verify", "--anchor", str(anchor))


def test_a_rewritten_read_is_named_by_the_verifier(trail):
    read = AccessEvent.objects.filter(chain=trail["reads"]).order_by("id")[1]
    with _triggers_off() as cursor:
        cursor.execute("UPDATE audit_accessevent SET category = 'nothing' WHERE id = %s", [read.pk])
    [report] = [r for r in verify_all() if r.chain == trail["reads"]]
    assert report.broken_at == read.pk


def test_after_a_key_rotation_old_events_verify_with_the_old_key(trail, anchor, settings, tmp_path, make_episode,
                                                                 django_capture_on_commit_callbacks):  # fmt: skip
    settings.HANDREGEN_AUDIT_OLD_KEYS = AUDIT_TEST_KEY
    settings.HANDREGEN_AUDIT_KEY = "test2:" + "a1" * 32
    with django_capture_on_commit_callbacks(execute=True):
        make_episode()
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {KEY_ID, "test2"}
    assert all(r.ok for r in verify_all(anchor))
    settings.HANDREGEN_AUDIT_OLD_KEYS = ""  # the old key lost: its events can no longer be vouched for
    assert "not held" in _problems()[trail["chain"]]


def test_unkeyed_events_count_only_before_the_first_keyed_one(trail):
    # the whole chain re-hashed the old, unkeyed way (key id removed): no keyed event seals it any more
    with _triggers_off() as cursor:
        cursor.execute("UPDATE audit_auditevent SET key_id = '' WHERE chain = %s", [trail["chain"]])
    _reseal(trail["chain"], key=None)
    assert _problems()[trail["chain"]] == "no keyed event seals the chain"


def test_the_key_file_is_made_on_first_use_outside_production_and_rotated(settings, tmp_path, db):
    from handregen.audit.keys import key_ring, key_rotate

    settings.HANDREGEN_AUDIT_KEY = ""
    settings.HANDREGEN_AUDIT_KEY_FILE = tmp_path / "audit-keys"
    first = key_ring()
    assert (tmp_path / "audit-keys").stat().st_mode & 0o777 == 0o600 and first.current_id == "k1"
    assert key_rotate() == "k2"
    assert key_ring().current_id == "k2" and key_ring().keys["k1"] == first.current
    settings.PRODUCTION = True
    settings.HANDREGEN_AUDIT_KEY_FILE = tmp_path / "elsewhere"
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="No audit key"):
        key_ring()


def test_a_chain_written_before_keying_is_sealed_in_by_the_migration(trail):
    import importlib

    from django.apps import apps

    with _triggers_off() as cursor:
        cursor.execute("UPDATE audit_auditevent SET key_id = '' WHERE chain = %s", [trail["chain"]])
    _reseal(trail["chain"], key=None)  # the chain as the unkeyed code wrote it
    older = AuditEvent.objects.filter(chain=trail["chain"]).count()
    migration = importlib.import_module("handregen.audit.migrations.0004_keyed_chains_and_chained_reads")
    migration.seal_unkeyed_chains(apps, None)
    [report] = [r for r in verify_all() if r.chain == trail["chain"]]
    assert report.ok and (report.unkeyed, report.events) == (older, older + 1)
    # and the unkeyed part cannot be rewritten now: the keyed event after it links to its head
    first = AuditEvent.objects.filter(chain=trail["chain"]).order_by("seq")[0]
    with _triggers_off() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'rewritten' WHERE seq = %s", [first.seq])
    _reseal_unkeyed_prefix(trail["chain"])
    assert trail["chain"] in _problems()


def _reseal_unkeyed_prefix(chain: str) -> None:
    """Re-hash the unkeyed events only (all the attacker can do without the key), leaving the keyed ones."""
    prev = GENESIS
    with _triggers_off() as cursor:
        for event in AuditEvent.objects.filter(chain=chain, key_id="").order_by("seq"):
            event.prev_hash = prev
            event.hash = prev = event_digest(event_content(event), prev, None)
            cursor.execute("UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s",
                           [event.prev_hash, event.hash, event.seq])  # fmt: skip
