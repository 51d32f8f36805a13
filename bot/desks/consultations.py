"""The service behind the dashboard's consultations (authoring and launch).

Everything goes through the CLI's own use cases: the validator, `bot.consultations.plan` and
`launch`, `storage.consultations.close`, and the flow's real messages and renderers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import yaml

from admin.ports.consultations import (
    Issue,
    Plan,
    PlanGroup,
    PreviewLanguage,
    PreviewMessage,
    Refused,
    Stored,
)
from bot import consultation_yaml
from bot.consultations import LaunchPlan, LaunchRefused, every_message, text_languages
from bot.consultations import launch as launch_consultation
from bot.consultations import plan as plan_launch
from conversations.consultations.checks import Problem
from conversations.consultations.model import Consultation
from conversations.consultations.validate import validate
from conversations.render import render_sms, render_telegram
from conversations.sms import count_segments
from storage import audit
from storage import consultations as store
from storage.consultation_drafts import DRAFT, every_consultation, save_draft
from storage.consultation_models import Consultation as ConsultationRow
from storage.db import transaction

if TYPE_CHECKING:
    from bot.container import Container


def _issues(problems: Sequence[Problem]) -> list[Issue]:
    return [Issue(p.path, p.message, p.line) for p in problems]


def _stored(row: ConsultationRow) -> Stored:
    consultation = Consultation.from_json(row.definition)
    return Stored(
        consultation=consultation,
        status=row.status,
        community=consultation.audience.community,
        launch_at=None if row.status == DRAFT else row.launch_at,
        closes_at=row.closes_at,
        recipients=row.recipients,
    )


class ConsultationsDesk:
    def __init__(self, container: Container) -> None:
        self._container = container

    def now(self) -> datetime:
        return self._container.clock()

    def every(self) -> list[Stored]:
        with transaction(self._container.sessions) as session:
            return [_stored(row) for row in every_consultation(session)]

    def get(self, consultation_id: str) -> Stored | None:
        with transaction(self._container.sessions) as session:
            row = session.get(ConsultationRow, consultation_id)
            return None if row is None else _stored(row)

    def check(
        self, data: Mapping[str, Any], languages: Sequence[str]
    ) -> tuple[Consultation | None, list[Issue]]:
        """The CLI's validator on a form's mapping (no lines: the form has none)."""
        found, problems = validate(data, lambda _path: None, languages)
        return found, _issues(problems)

    def check_yaml(self, text: str) -> tuple[Consultation | None, list[Issue]]:
        """Exactly what `consultation validate FILE` says of this YAML."""
        try:
            raw: Any = yaml.safe_load(text)
        except (yaml.YAMLError, ValueError):
            raw = None  # the full load reports the problem with its line
        languages = text_languages(raw, self._container.engine.config)
        found, problems = consultation_yaml.load_text(text, languages)
        return found, _issues(problems)

    def save_draft(self, consultation: Consultation, actor: str, create: bool) -> str | None:
        with transaction(self._container.sessions) as session:
            return save_draft(session, consultation, actor, self._container.clock(), create)

    def preview(self, consultation: Consultation) -> list[PreviewLanguage]:
        """Every message in every language the consultation has, through the real renderers."""
        config = self._container.engine.config
        shown: list[PreviewLanguage] = []
        for language in consultation.languages():
            telegram = every_message(config, consultation, language, "telegram")
            sms = every_message(config, consultation, language, "sms")
            messages = []
            for on_telegram, on_sms in zip(telegram, sms, strict=True):
                rendered, text = render_telegram(on_telegram), render_sms(on_sms)
                counted = count_segments(text)
                buttons = tuple(tuple(label for label, _data in row) for row in rendered.buttons)
                messages.append(
                    PreviewMessage(
                        rendered.text,
                        buttons,
                        text,
                        counted.encoding,
                        counted.units,
                        counted.segments,
                    )
                )
            shown.append(PreviewLanguage(language, tuple(messages)))
        return shown

    def _consultation(self, consultation_id: str) -> tuple[Consultation, str]:
        with transaction(self._container.sessions) as session:
            found = store.definition(session, consultation_id)
        if found is None:
            raise Refused(f"no consultation with id {consultation_id!r}")
        return found

    def _plan(self, planned: LaunchPlan) -> Plan:
        price = self._container.settings.sms_price_pence
        groups = tuple(
            PlanGroup(g.language, g.channel, g.recipients, g.segments_each) for g in planned.groups
        )
        return Plan(
            planned.launch_at,
            groups,
            planned.recipients,
            planned.sms_segments,
            price,
            planned.sms_segments * price,
        )

    def plan(self, consultation_id: str, at: datetime | None) -> Plan:
        consultation, _status = self._consultation(consultation_id)
        try:
            return self._plan(plan_launch(self._container, consultation, at))
        except LaunchRefused as refused:
            raise Refused(str(refused)) from None

    def launch(self, consultation_id: str, at: datetime | None, actor: str) -> Plan:
        """`consultation launch`, then an audit entry: launched now, or scheduled."""
        consultation, status = self._consultation(consultation_id)
        if status != DRAFT:
            raise Refused(f"{consultation_id!r} was already launched")
        try:
            planned = launch_consultation(self._container, consultation, at, actor=actor)
        except LaunchRefused as refused:
            raise Refused(str(refused)) from None
        now = self._container.clock()
        action = "consultation.launch" if planned.launch_at <= now else "consultation.schedule"
        with transaction(self._container.sessions) as session:
            audit.record(
                session,
                at=now,
                actor=actor,
                action=action,
                subject=f"consultation:{consultation_id}",
                community_id=consultation.audience.community,
                detail={
                    "launch_at": planned.launch_at.isoformat(),
                    "recipients": planned.recipients,
                    "sms_segments": planned.sms_segments,
                },
            )
        return self._plan(planned)

    def close(self, consultation_id: str, actor: str) -> None:
        """`consultation close`, with its audit entry in the same transaction."""
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            row = session.get(ConsultationRow, consultation_id)
            if row is None or row.status not in ("scheduled", "open"):
                raise Refused(f"{consultation_id!r} is not scheduled or open")
            community = Consultation.from_json(row.definition).audience.community
            store.close(session, consultation_id, now)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="consultation.close",
                subject=f"consultation:{consultation_id}",
                community_id=community,
            )
