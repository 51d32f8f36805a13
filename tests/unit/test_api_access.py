"""API tokens and their access rules: the same roles as staff, no community means admin only."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from admin.api.common import may, visible
from admin.api.models import LaunchRequest
from admin.auth import PERMISSIONS, ROLES, StaffIdentity, allowed
from bot.desks.tokens import SHOWN_PREFIX, new_secret, token_hash

COMMUNITIES = ("bettws", "feltham", "margate")
PERMISSION_NAMES = sorted(set().union(*PERMISSIONS.values()))

identities = st.builds(
    lambda role, communities: StaffIdentity(1, "api:x", role, tuple(communities), ""),
    st.sampled_from(ROLES),
    st.lists(st.sampled_from(COMMUNITIES), unique=True, max_size=3),
)


@given(identities, st.sampled_from(PERMISSION_NAMES), st.sampled_from(COMMUNITIES))
def test_a_named_community_is_checked_exactly_as_for_staff(
    who: StaffIdentity, permission: str, community: str
) -> None:
    assert may(who, permission, community) == allowed(who, permission, community)


@given(identities, st.sampled_from(PERMISSION_NAMES))
def test_every_community_at_once_is_for_an_admin_only(who: StaffIdentity, permission: str) -> None:
    assert may(who, permission, None) == (who.role == "admin" and allowed(who, permission))


@given(identities)
def test_a_token_sees_its_own_communities_or_all_as_admin(who: StaffIdentity) -> None:
    shown = visible(who)
    assert shown is None if who.role == "admin" else shown == list(who.communities)


def test_a_secret_is_long_random_and_only_its_hash_and_prefix_are_kept() -> None:
    first, second = new_secret(), new_secret()
    assert first != second and first.startswith("elc_") and len(first) >= 46
    assert token_hash(first) == hashlib.sha256(first.encode()).hexdigest()
    assert len(first[:SHOWN_PREFIX]) == 12 and first[:SHOWN_PREFIX] != first


@given(st.booleans(), st.datetimes(timezones=st.just(UTC)))
def test_the_launch_envelope_reads_its_options(dry_run: bool, at: datetime) -> None:
    request = LaunchRequest.model_validate(
        {"definition": {"id": "x"}, "dry_run": dry_run, "launch_at": at.isoformat()}
    )
    assert (request.dry_run, request.launch_at) == (dry_run, at)
    with pytest.raises(ValidationError):
        LaunchRequest.model_validate({"definition": "not a mapping"})
