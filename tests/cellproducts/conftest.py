"""Fixtures for the chain of identity: the team that handles a product, and a clock that moves forward."""

from __future__ import annotations

import pytest

from tests.cellproducts.chain import Clock, Team, make_team


@pytest.fixture
def team(persona) -> Team:
    return make_team(persona)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)
