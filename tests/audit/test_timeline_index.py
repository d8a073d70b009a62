"""The episode timeline reads its events through the (episode_id, seq) index, not the whole site's trail."""

import pytest
from django.db import connection

from handregen.audit.models import AuditEvent


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan; PostgreSQL plans by its statistics")
def test_the_timeline_query_searches_by_episode_in_seq_order(make_episode, persona):
    episode = make_episode()
    plan = AuditEvent.objects.filter(episode_id=episode.pk, site=persona("physician").site).order_by("seq").explain()
    assert "audit_event_episode_seq" in plan and "TEMP B-TREE" not in plan
