"""The API's cast: the fixed cast of tests/conftest.py, each with a token when a test needs one."""

from __future__ import annotations

import pytest
from django.test import Client

from api.models import Scope
from api.services import api_token_create


def token_for(user, *, write: bool = True, name: str = "script") -> str:
    return api_token_create(user=user, name=name, scope=Scope.WRITE if write else Scope.READ).raw


class ApiClient:
    """Django's test client with `Authorization: Bearer <token>` and JSON bodies."""

    def __init__(self, token: str | None = None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, data=None, **headers):
        return self.client.get(path, data, headers={**self.headers, **headers})

    def post(self, path, data=None, *, multipart: bool = False, **headers):
        if multipart:
            return self.client.post(path, data or {}, headers={**self.headers, **headers})
        return self.client.post(path, data or {}, content_type="application/json", headers={**self.headers, **headers})

    def put(self, path, data=None, **headers):
        return self.client.put(path, data or {}, content_type="application/json", headers={**self.headers, **headers})

    def patch(self, path, data=None, **headers):
        return self.client.patch(path, data or {}, content_type="application/json",
                                 headers={**self.headers, **headers})

    def delete(self, path, **headers):
        return self.client.delete(path, headers={**self.headers, **headers})


@pytest.fixture
def as_requester(requester):
    return ApiClient(token_for(requester))


@pytest.fixture
def as_other_requester(other_requester):
    return ApiClient(token_for(other_requester))


@pytest.fixture
def as_agent(agent_n1):
    return ApiClient(token_for(agent_n1))


@pytest.fixture
def as_manager(manager):
    return ApiClient(token_for(manager))
