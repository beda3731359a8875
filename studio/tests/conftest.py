from webhooks.tests.conftest import eager_tasks, make_generation  # noqa: F401 - shared fixtures
