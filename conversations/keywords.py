"""Words that work anywhere, in any flow, in every language: STOP, START, HELP and friends."""

from __future__ import annotations

from enum import StrEnum

from conversations.parsing.text import fold_keyword


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"
    LANGUAGE = "language"
    CHILDREN = "children"
    PAUSE = "pause"
    RESUME = "resume"
    TIPS = "tips"
    EVENTS = "events"
    MYDATA = "mydata"
    DELETE = "delete"


# Twilio's own opt-out words come first; the Welsh ones await a translator's sign-off.
WORDS: dict[Keyword, dict[str, tuple[str, ...]]] = {
    Keyword.STOP: {
        "en": ("stop", "stopall", "unsubscribe", "cancel", "end", "quit"),
        "cy": ("stopio", "dad-danysgrifio", "dad-danysgrifiwch", "diwedd", "canslo"),
    },
    Keyword.START: {
        "en": ("start", "unstop", "subscribe"),
        "cy": ("dechrau", "ailddechrau", "tanysgrifio"),
    },
    Keyword.HELP: {"en": ("help", "info"), "cy": ("cymorth", "help", "gwybodaeth")},
    Keyword.LANGUAGE: {"en": ("language", "lang"), "cy": ("iaith",)},
    Keyword.CHILDREN: {"en": ("children", "child", "kids"), "cy": ("plant", "plentyn")},
    Keyword.PAUSE: {"en": ("pause",), "cy": ("saib", "oedi")},
    Keyword.RESUME: {"en": ("resume", "unpause"), "cy": ("parhau", "ailgychwyn")},
    Keyword.TIPS: {"en": ("tips", "tip"), "cy": ("awgrymiadau", "awgrym")},
    Keyword.EVENTS: {"en": ("events", "event"), "cy": ("digwyddiadau", "digwyddiad")},
    Keyword.MYDATA: {"en": ("mydata", "my data"), "cy": ("fy nata", "fynata", "fy data")},
    Keyword.DELETE: {"en": ("delete", "delete me"), "cy": ("dileu", "dileu fi")},
}

_LOOKUP: dict[str, Keyword] = {
    word: keyword
    for keyword, by_language in WORDS.items()
    for words in by_language.values()
    for word in words
}


def match_keyword(text: str) -> Keyword | None:
    """The keyword the whole message is, ignoring case, accents and punctuation; else None."""
    return _LOOKUP.get(fold_keyword(text))


def word_for(keyword: Keyword, language: str) -> str:
    """The keyword as a parent of that language is told to type it."""
    words = WORDS[keyword].get(language) or WORDS[keyword]["en"]
    return words[0].upper()
