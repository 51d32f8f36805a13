"""schemathesis against /openapi.json: any request an integration could send, with an admin's
bearer token, gets no 5xx and an answer the schema documents (status code and body).

Three passes per database: schema-valid requests, schema-violating ones, and requests aimed at
things that exist (the seeded consultation and event, and fresh valid definitions), so the
success answers (200 and 201) are checked against the schema too, not only the refusals.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from admin.auth import StaffIdentity
from bot.desks.tokens import TokensDesk
from bot.web import create_app
from tests.integration.world import World, populate

ROOT = Path(__file__).resolve().parents[2]
ADA = StaffIdentity(id=0, username="ada", role="admin", communities=(), stamp="")
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
EXAMPLES = 12  # per operation and pass: the whole API in well under a minute per database
PLAY_PARK = "play-park"
RHYME_TIME = "bettws-rhyme-time-2027-03-09"


def _example(name: str) -> Any:
    data = yaml.safe_load((ROOT / "examples" / name).read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=lambda value: value.isoformat()))


class Api:
    """The app's schema, loaded in-process over ASGI, with an admin's bearer header."""

    def __init__(self, world: World) -> None:
        secret = TokensDesk(world.container).create_token(ADA, "schemathesis", "admin", [])
        self.header = {"Authorization": f"Bearer {secret.secret}"}
        self.app = create_app(world.container, with_workers=False)
        self.schema = schemathesis.openapi.from_asgi("/openapi.json", self.app)
        self.statuses: Counter[tuple[str, int]] = Counter()

    def operations(self) -> list[Any]:
        return [result.ok() for result in self.schema.get_all_operations()]

    def run(self, operation: Any, cases: st.SearchStrategy[Any]) -> None:
        @given(case=cases)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answered_as_documented(case: Any) -> None:
            response = case.call_and_validate(headers=self.header, checks=CHECKS)
            self.statuses[(operation.label, response.status_code)] += 1

        answered_as_documented()


@pytest.fixture
def api(world: World) -> Iterator[Api]:
    """A populated world with an open consultation and an upcoming event behind the ids."""
    populate(world)
    made = Api(world)
    with TestClient(made.app) as client:
        for path, body in (
            ("/api/consultations", _example("consultations/play-park.yaml")),
            ("/api/events", _example("events/rhyme-time.yaml")),
        ):
            created = client.post(path, json=body, headers=made.header)
            assert created.status_code == 201, created.text
    yield made


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_any_request_is_answered_as_documented(api: Api, mode: GenerationMode) -> None:
    operations = api.operations()
    assert len(operations) >= 10
    for operation in operations:
        api.run(operation, operation.as_strategy(generation_mode=mode))
    assert not any(status >= 500 for _, status in api.statuses)


def _fresh_definitions(kind: str) -> st.SearchStrategy[Any]:
    """Valid definitions under new ids: each launch or creation succeeds once."""
    name = "consultations/play-park.yaml" if kind == "consultation" else "events/rhyme-time.yaml"
    base = _example(name)
    ids = st.from_regex(r"[a-z][a-z0-9-]{2,20}", fullmatch=True)
    return ids.map(lambda new_id: {**base, "id": f"fz-{new_id}"})


def test_requests_about_things_that_exist_are_answered_as_documented(api: Api) -> None:
    known = {"consultation_id": PLAY_PARK, "event_id": RHYME_TIME}
    for operation in api.operations():
        params = {p.name for p in operation.path_parameters}
        fixed = {name: known[name] for name in params}
        body: Any = None
        if operation.method.upper() == "POST" and not params:
            kind = "consultation" if "consultations" in operation.path else "event"
            body = _fresh_definitions(kind)
        if body is None:
            cases = operation.as_strategy(path_parameters=fixed)
        else:
            cases = body.flatmap(lambda b, op=operation: op.as_strategy(body=b))
        api.run(operation, cases)
    answered = {status for (label, status) in api.statuses if label.startswith("POST")}
    assert 201 in answered, api.statuses  # a launch and a creation did succeed
    assert {status for (label, status) in api.statuses if label.startswith("GET")} >= {200}
