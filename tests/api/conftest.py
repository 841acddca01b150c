import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(users):
    """api_as("analyst") -> an APIClient signed in as that role; api_as(None) -> anonymous."""

    def make(role):
        client = APIClient()
        if role is not None:
            client.force_authenticate(users[role])
        return client

    return make
