"""The service behind the dashboard's tip library: the same steps as `content import|export`."""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from admin.ports.content import FamilyPreview, TipView, UploadOutcome
from bot.container import reload_tips
from bot.content_files import SUFFIXES, read_rows, write_rows
from bot.desks.content_plan import plan
from bot.settings import ConfigError
from conversations.content.library import TipLibrary
from conversations.content.validate import parse_rows
from conversations.sms import count_segments
from conversations.types import Child
from storage import audit, contact_search, tips
from storage.db import transaction

if TYPE_CHECKING:
    from bot.container import Container

DEFAULT_WEEKDAY, DEFAULT_TIME = 1, "10:00"  # storage/models.py: Contact's defaults


class ContentDesk:
    def __init__(self, container: Container) -> None:
        self._container = container

    @property
    def languages(self) -> tuple[str, ...]:
        return self._container.engine.config.languages

    def _library(self) -> TipLibrary:
        return self._container.engine.config.tips or TipLibrary([])

    def tips(self) -> list[TipView]:
        return [
            TipView(
                tip.id,
                tip.track,
                tip.week,
                tip.topic,
                tip.routine,
                dict(tip.texts),
                {lang: count_segments(text).segments for lang, text in tip.texts.items()},
                dict(tip.reviewed),
            )
            for tip in self._library().tips
        ]

    def upload(self, filename: str, data: bytes, actor: str) -> UploadOutcome:
        suffix = Path(filename).suffix.lower()
        if suffix not in SUFFIXES:
            return UploadOutcome(
                problem=f"unknown file type {suffix or '(none)'}; use .csv or .xlsx"
            )
        name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename).name)[:80]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            try:
                rows = read_rows(path)
            except (ConfigError, ValueError) as error:
                return UploadOutcome(problem=str(error))
        container = self._container
        parsed, errors = parse_rows(rows, container.engine.config.languages)
        if errors:
            return UploadOutcome(errors=tuple((e.row, e.column, e.message) for e in errors))
        now = container.clock()
        with transaction(container.sessions) as session:
            before = {tip.id: tip for tip in tips.load_library(session).tips}
            kept, retired = tips.replace_library(session, parsed, now)
            added = sum(1 for tip in parsed if tip.id not in before)
            changed = sum(1 for tip in parsed if tip.id in before and before[tip.id] != tip)
            counts = {"added": added, "changed": changed, "retired": retired, "total": kept}
            audit.record(
                session, at=now, actor=actor, action="content.import", subject="tips", detail=counts
            )
        reload_tips(container)
        return UploadOutcome(added=added, changed=changed, retired=retired, total=kept)

    def export(self, suffix: str) -> bytes:
        if suffix not in SUFFIXES:
            raise ValueError(f"unknown file type {suffix}")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"tips{suffix}"
            write_rows(path, self._library().tips, self.languages)
            return path.read_bytes()

    def preview_dates(
        self, birth: date | None, due: date | None, lang: str, weeks: int
    ) -> FamilyPreview:
        settings = self._container.settings
        child = Child(0, None, birth_date=birth, due_date=due)
        planned = plan(
            self._library(),
            [child],
            (),
            now=self._container.clock(),
            weeks=weeks,
            weekday=DEFAULT_WEEKDAY,
            at=DEFAULT_TIME,
            timezone=settings.timezone,
            quiet=settings.quiet_window,
            lang=lang,
        )
        return FamilyPreview(
            None, lang, DEFAULT_WEEKDAY, DEFAULT_TIME, settings.timezone, None, None, tuple(planned)
        )

    def preview_contact(
        self, code: str, communities: list[str], actor: str, weeks: int
    ) -> FamilyPreview | None:
        container, settings = self._container, self._container.settings
        now = container.clock()
        with transaction(container.sessions) as session:
            contact = contact_search.by_code(session, code, communities)
            if contact is None:
                return None
            kids = [
                Child(c.id, c.nickname, birth_date=c.birth_date, due_date=c.due_date)
                for c in contact_search.children(session, contact.id)
            ]
            sent = contact_search.sent_tips(session, contact.id)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="content.preview",
                subject=f"contact:{contact.code}",
                community_id=contact.community_id,
            )
            lang = contact.language or "en"
            status, weekday, at = contact.status, contact.tip_weekday, contact.tip_time
            paused = contact.paused_until
        planned = plan(
            self._library(),
            kids,
            sent,
            now=now,
            weeks=weeks,
            weekday=weekday,
            at=at,
            timezone=settings.timezone,
            quiet=settings.quiet_window,
            lang=lang,
            paused_until=paused,
        )
        shown = tuple(planned) if status == "active" else ()
        return FamilyPreview(code, lang, weekday, at, settings.timezone, status, paused, shown)
