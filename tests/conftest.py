"""Fixtures shared by the stages' tests.

Each group of fixtures lives in its own module under tests/fixtures/ and is imported here,
so that any test can ask for it by name.
"""

from tests.fixtures.gateway import gateway  # noqa: F401
from tests.fixtures.models import published_model, trained_run  # noqa: F401
from tests.fixtures.servers import model_server  # noqa: F401
