"""Translations from the gettext catalogs in `locales/`, one Translator per language."""

from __future__ import annotations

import functools
import gettext
import io
import os
from datetime import date
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, get_day_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DOMAIN = "messages"
# Dates are written as parents here write them: "1 June 2026", not "June 1, 2026".
DATE_LOCALES = {"en": "en_GB"}


def locales_dir() -> Path:
    """Where the catalogs live: `$LOCALES_DIR`, or `locales/` beside the packages."""
    override = os.environ.get("LOCALES_DIR")
    return Path(override) if override else Path(__file__).resolve().parent.parent / "locales"


def available_languages() -> tuple[str, ...]:
    """Languages with a catalog; English first because it is the source language."""
    root = locales_dir()
    found = sorted(p.name for p in root.iterdir() if (p / "LC_MESSAGES").is_dir())
    return tuple(sorted(found, key=lambda lang: lang != "en"))


@functools.cache
def _catalog(lang: str) -> gettext.NullTranslations:
    folder = locales_dir() / lang / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            return Translations(fp, domain=DOMAIN)
    if po.exists():
        # A stale or missing .mo (a fresh checkout) is compiled in memory so text never lags.
        with po.open("rb") as fp:
            catalog = read_po(fp, locale=lang)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        return Translations(buffer, domain=DOMAIN)
    return gettext.NullTranslations()


class Translator:
    """Whole sentences in one language; placeholders use `{name}` and are filled by keyword."""

    __slots__ = ("_catalog", "_found", "lang")

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._catalog = _catalog(lang)
        self._found: dict[str, str] = {}  # msgid -> translation; msgids are a fixed set

    def _(self, message: str, **values: Any) -> str:
        text = self._found.get(message)
        if text is None:
            text = self._catalog.gettext(message)
            if len(self._found) < 20_000:  # bounded, should a caller ever pass free text
                self._found[message] = text
        return text.format(**values) if values else text

    def date(self, value: date) -> str:
        return _long_date(value, DATE_LOCALES.get(self.lang, self.lang))


@functools.lru_cache(maxsize=4096)  # Babel's formatting is slow; the dates asked for repeat
def _long_date(value: date, locale: str) -> str:
    return format_date(value, format="long", locale=locale)


@functools.lru_cache(maxsize=64)  # 7 days times the few languages spoken
def day_name(weekday: int, lang: str) -> str:
    """The weekday's name (0 is Monday) in the language: "Tuesday", "Dydd Mawrth"."""
    return str(get_day_names("wide", locale=lang)[weekday])


@functools.cache
def translator(lang: str) -> Translator:
    return Translator(lang)


@functools.cache
def language_name(lang: str) -> str:
    """The language's name in itself (Cymraeg, English), as parents expect to see it."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]
