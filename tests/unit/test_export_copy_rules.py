"""What lets PostgreSQL write the responses CSV: HMAC from two pads, and which stored numbers
the csv module would write unchanged."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from conversations.consultations.answers import canonical
from storage.exports.common import Pseudonyms, number
from storage.exports.responses_copy import DECIMAL, DECIMAL_LENGTH, INTEGER, SMALL


def plain(value: str) -> bool:
    """responses_copy.plain_numbers' test, in Python (the patterns are the same in both)."""
    return bool(
        re.search(INTEGER, value) or (len(value) <= DECIMAL_LENGTH and re.search(DECIMAL, value))
    )


@given(st.binary(min_size=1, max_size=100), st.integers(min_value=1, max_value=10**12))
def test_two_sha256_over_the_pads_are_the_codes_hmac(key: bytes, contact_id: int) -> None:
    inner, outer = Pseudonyms(key).pads()
    message = str(contact_id).encode()
    digest = hashlib.sha256(outer + hashlib.sha256(inner + message).digest()).digest()
    assert "R-" + digest[:8].hex()[:15] == Pseudonyms(key).code(contact_id)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=None))
def test_a_plain_stored_number_is_written_as_stored(value: Decimal) -> None:
    stored = canonical(value)
    if plain(stored):
        assert str(number(stored)) == stored


def test_everyday_numbers_are_plain_and_odd_ones_are_not() -> None:
    for stored in SMALL:  # written as stored without the regular expressions
        assert plain(stored), stored
        assert str(number(stored)) == stored
    for stored in ("0", "3", "-1", "12", "2.5", "-0.25", "0.0001", "123456789012.345"):
        assert plain(stored), stored
        assert str(number(stored)) == stored
    for odd in (
        "",
        " 3",
        "03",
        "-0",
        "1e3",
        "0.00001",
        "2.50",
        "1_000",
        "nan",
        "1234567890.1234567",
    ):
        assert not plain(odd), odd
