"""Episodes carried through the real services, for pages that show the whole course."""

from tests.aftercare.conftest import clock, injected, team  # noqa: F401 - fixtures shared with the pages
from tests.outcomes.conftest import nurse, scheduled  # noqa: F401 - fixtures shared with the patient page tests
