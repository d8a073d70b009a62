"""The chain of identity's fixtures, for re-consent after an injection."""

from tests.aftercare.conftest import clock, injected, team  # noqa: F401 - fixtures shared with these tests
