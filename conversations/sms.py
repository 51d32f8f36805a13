"""SMS encoding and segment arithmetic (GSM 03.38 / 3GPP TS 23.038), pure and stdlib only.

An SMS is sent in the GSM 7-bit default alphabet when every character is in it, and
otherwise the *whole* message falls back to UCS-2 (UTF-16), which cuts a single segment
from 160 characters to 70. One stray curly apostrophe therefore more than doubles the cost
of a tip, which is what :data:`ENCODING_TRAPS` and :func:`encoding_traps` are for.

Welsh letters with a circumflex (â ê î ô û ŵ ŷ) are not in the GSM alphabet, so Welsh text
is usually UCS-2. They are real letters, never "traps", and must never be stripped.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ENCODING_TRAPS",
    "GSM7_BASIC",
    "GSM7_EXTENDED",
    "GSM7_MULTIPART_UNITS",
    "GSM7_SINGLE_UNITS",
    "UCS2_MULTIPART_UNITS",
    "UCS2_SINGLE_UNITS",
    "SegmentCount",
    "count_segments",
    "encoding_traps",
    "is_gsm7",
]

# The 128-entry GSM 03.38 default alphabet, minus 0x1B (ESC), which only introduces the
# extension table and is not a character in its own right. 0x09 is the capital C-cedilla
# as specified (many handsets render it as the small one).
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# Extension table: each of these is sent as ESC + char, so costs two septets.
GSM7_EXTENDED: frozenset[str] = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE_UNITS = 160
GSM7_MULTIPART_UNITS = 153  # 7 septets per part go on the concatenation header
UCS2_SINGLE_UNITS = 70
UCS2_MULTIPART_UNITS = 67  # 3 UTF-16 units per part go on the concatenation header

_GSM7_ALL: frozenset[str] = GSM7_BASIC | GSM7_EXTENDED

# Characters that quietly force a whole message into UCS-2 although a GSM-7 character
# that looks (almost) the same exists. Typically pasted in from word processors.
ENCODING_TRAPS: dict[str, str] = {
    # single quotes, apostrophes and primes
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark (the "smart" apostrophe)
    "\u201a": "'",  # single low-9 quotation mark
    "\u201b": "'",  # single high-reversed-9 quotation mark
    "\u2032": "'",  # prime
    "\u02bc": "'",  # modifier letter apostrophe
    "\u00b4": "'",  # acute accent on its own
    "\u0060": "'",  # grave accent / backtick (not in GSM 03.38)
    # double quotes
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u201e": '"',  # double low-9 quotation mark
    "\u201f": '"',  # double high-reversed-9 quotation mark
    "\u2033": '"',  # double prime
    "\u00ab": '"',  # left-pointing guillemet
    "\u00bb": '"',  # right-pointing guillemet
    # dashes and hyphens
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    # ellipsis and bullets
    "\u2026": "...",  # horizontal ellipsis
    "\u2022": "-",  # bullet
    # spaces
    "\t": " ",  # tab is not in GSM 03.38
    "\u00a0": " ",  # no-break space
    "\u2002": " ",  # en space
    "\u2003": " ",  # em space
    "\u2007": " ",  # figure space
    "\u2009": " ",  # thin space
    "\u200a": " ",  # hair space
    "\u202f": " ",  # narrow no-break space
    "\u3000": " ",  # ideographic space
    # invisible characters
    "\u00ad": "",  # soft hyphen
    "\u200b": "",  # zero-width space
    "\u200c": "",  # zero-width non-joiner
    "\u200d": "",  # zero-width joiner
    "\u2060": "",  # word joiner
    "\ufeff": "",  # zero-width no-break space / byte-order mark
}


def is_gsm7(text: str) -> bool:
    """True if every character of ``text``, exactly as given, is in the GSM-7 alphabet.

    No normalisation happens here: ``"e\\u0301"`` (e + combining acute) is not GSM-7, while
    its NFC form ``"é"`` is. :func:`count_segments` normalises before deciding.
    """
    return all(ch in _GSM7_ALL for ch in text)


@dataclass(frozen=True, slots=True)
class SegmentCount:
    """How a message would be sent.

    ``units`` are septets for GSM-7 (extension-table characters count 2) and UTF-16 code
    units for UCS-2 (characters outside the BMP, such as most emoji, count 2).
    """

    encoding: Literal["GSM-7", "UCS-2"]
    units: int
    segments: int


def _segments(units: int, single: int, multipart: int) -> int:
    if units <= single:
        return 1
    return -(-units // multipart)


def count_segments(text: str) -> SegmentCount:
    """Encoding, length in units and number of SMS parts for ``text`` after NFC.

    Simplification: real encoders never split an escape pair (ESC + extended char) or a
    UTF-16 surrogate pair across two parts, which can occasionally need one more part than
    the plain ceiling division used here. We ignore that edge case.
    """
    normalised = unicodedata.normalize("NFC", text)
    if is_gsm7(normalised):
        septets = sum(2 if ch in GSM7_EXTENDED else 1 for ch in normalised)
        return SegmentCount(
            "GSM-7", septets, _segments(septets, GSM7_SINGLE_UNITS, GSM7_MULTIPART_UNITS)
        )
    code_units = len(normalised.encode("utf-16-le")) // 2
    return SegmentCount(
        "UCS-2", code_units, _segments(code_units, UCS2_SINGLE_UNITS, UCS2_MULTIPART_UNITS)
    )


def encoding_traps(text: str) -> list[tuple[int, str, str]]:
    """``(index, char, suggested replacement)`` for each trap character in ``text``.

    Indexes are into ``text`` as given. Genuine letters outside GSM-7 (the Welsh ŵ and ŷ,
    for instance) are never reported: they force UCS-2 because they have to.
    """
    return [(i, ch, ENCODING_TRAPS[ch]) for i, ch in enumerate(text) if ch in ENCODING_TRAPS]
