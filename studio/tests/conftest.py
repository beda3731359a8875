from webhooks.tests.conftest import (  # noqa: F401 - shared fixtures
    eager_tasks,
    make_generation,
)
