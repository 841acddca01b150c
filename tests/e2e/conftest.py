import pytest
from django.db import connections


@pytest.fixture(scope="session")
def serialized_db_contents(django_db_setup):
    """The migrated test data (roles) Django serialized when it created the test database,
    read before Playwright starts."""
    return {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in connections
    }


@pytest.fixture(autouse=True)
def keep_serialized_contents(serialized_db_contents):
    """Browser tests are transactional: each ends by emptying the tables, and the next one
    restores the migrated data (serialized_rollback). Playwright's sync API runs later code in
    its own context, where Django opens new connection objects that lack the serialized data,
    so the restore would silently do nothing. Hand the data over to them."""
    yield
    for alias, contents in serialized_db_contents.items():
        if contents is not None:
            connections[alias]._test_serialized_contents = contents
