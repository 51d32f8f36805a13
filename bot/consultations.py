"""Consultation use-cases: plan and launch, and ask a parent the next one when they are free.

The CLI and the dashboard both call these functions, so a launch is the same whoever
presses the button.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.settings import ConfigError
from conversations.consultations.checks import language_name
from conversations.consultations.model import Consultation
from conversations.flows import consultation as flow
from conversations.flows import consultation_questions as put
from conversations.flows.base import Ctx
from conversations.render import render_sms
from conversations.sms import count_segments
from conversations.types import (
    Channel,
    ContactSnapshot,
    ContactStatus,
    EngineConfig,
    MessageKind,
    OutgoingMessage,
)
from storage import consultation_audience as audience_sql
from storage.consultation_models import Consultation as ConsultationRow
from storage.db import transaction
from storage.outbox_groups import Messages

if TYPE_CHECKING:
    from bot.container import Container


class LaunchRefused(ConfigError):
    """A consultation that must not go out as it is; the message says what to fix."""


LAUNCH_WINDOW = timedelta(days=366)  # how far from now a launch may be scheduled, either way


@dataclass(frozen=True, slots=True)
class Group:
    """Recipients sharing a language and channel, and what each costs on SMS."""

    language: str
    channel: str
    recipients: int
    segments_each: int  # SMS parts for the intro and every question; 0 on Telegram


@dataclass(frozen=True, slots=True)
class LaunchPlan:
    consultation: Consultation
    launch_at: datetime
    groups: tuple[Group, ...]

    @property
    def recipients(self) -> int:
        return sum(g.recipients for g in self.groups)

    @property
    def sms_segments(self) -> int:
        return sum(g.recipients * g.segments_each for g in self.groups)

    def summary(self) -> list[str]:
        """Lines for a person deciding whether to launch: who, how many, and the SMS cost."""
        lines = [f"{self.consultation.id}: {self.recipients} recipients"]
        for g in self.groups:
            cost = f", up to {g.segments_each} SMS segments each" if g.segments_each else ""
            lines.append(f"  {language_name(g.language)} on {g.channel}: {g.recipients}{cost}")
        lines.append(f"SMS cost: up to {self.sms_segments} segments in all")
        return lines


def snapshot_for(config: EngineConfig, language: str, channel: str, community: str | None) -> Ctx:
    """A stand-in contact for composing a group's messages (they differ only by these)."""
    contact = ContactSnapshot(
        id=None,
        channel=Channel(channel),
        community_id=community or config.default_community,
        language=language,
        status=ContactStatus.ACTIVE,
    )
    return Ctx(config, contact, datetime.now(ZoneInfo("UTC")))


def every_message(
    config: EngineConfig, consultation: Consultation, language: str, channel: str
) -> list[OutgoingMessage]:
    """The intro and every question, as a parent in this language and channel first sees them."""
    ctx = snapshot_for(config, language, channel, consultation.audience.community)
    return [flow.intro(ctx, consultation)] + [
        put.question_message(ctx, consultation, q, flow.state_for(consultation, q.id))
        for q in consultation.questions
    ]


def sms_segments(config: EngineConfig, consultation: Consultation, language: str) -> int:
    """SMS parts to send the intro and every question once, as the SMS channel renders them."""
    messages = every_message(config, consultation, language, Channel.SMS.value)
    return sum(count_segments(render_sms(m)).segments for m in messages)


def text_languages(raw: object, config: EngineConfig) -> tuple[str, ...]:
    """The languages every text of a loaded consultation mapping needs: the audience's
    language, else its community's, else every community's."""
    wanted = raw.get("audience") if isinstance(raw, dict) else None
    wanted = wanted if isinstance(wanted, dict) else {}
    if isinstance(wanted.get("language"), str):
        return (wanted["language"],)
    community = config.communities.get(str(wanted.get("community")))
    if community is not None:
        return community.languages
    return tuple(dict.fromkeys(lang for c in config.communities.values() for lang in c.languages))


def required_languages(config: EngineConfig, consultation: Consultation) -> set[str]:
    """Every language the audience may read: of its communities, narrowed by its filter."""
    wanted = consultation.audience
    communities = [
        c
        for c in config.communities.values()
        if wanted.community is None or c.id == wanted.community
    ]
    languages = {lang for c in communities for lang in c.languages}
    if wanted.language is not None:
        languages = {wanted.language}
    return languages


def plan(container: Container, consultation: Consultation, at: datetime | None) -> LaunchPlan:
    """Who would be asked and what it would cost; refuses what must not go out."""
    config = container.engine.config
    now = container.clock()
    launch_at = at or consultation.opens_at or now
    if abs(launch_at - now) > LAUNCH_WINDOW:
        raise LaunchRefused("the launch time must be within a year of now")
    if consultation.audience.community and consultation.audience.community not in (
        config.communities
    ):
        raise LaunchRefused(f"unknown community {consultation.audience.community!r}")
    if consultation.closes_at is not None and consultation.closes_at <= launch_at:
        raise LaunchRefused("closes_at is before the launch: nobody would have time to answer")
    today = launch_at.astimezone(ZoneInfo(container.settings.timezone)).date()
    with transaction(container.sessions) as session:
        counted = audience_sql.count_audience(session, consultation.audience, today)
    needed = required_languages(config, consultation) | {g.language for g in counted}
    missing = sorted(needed - set(consultation.languages()))
    if missing:
        names = ", ".join(f"{language_name(lang)} ({lang})" for lang in missing)
        raise LaunchRefused(
            f"cannot launch: some texts have no {names} version, and the audience reads it;"
            " every text needs every audience language"
        )
    costs = {
        lang: sms_segments(config, consultation, lang) for lang in {g.language for g in counted}
    }
    groups = tuple(
        Group(g.language, g.channel, g.count, costs[g.language] if g.channel == "sms" else 0)
        for g in counted
    )
    return LaunchPlan(consultation, launch_at, groups)


def launch(
    container: Container,
    consultation: Consultation,
    at: datetime | None = None,
    actor: str | None = None,
    background: bool = True,
) -> LaunchPlan:
    """Schedule the consultation, and send it at once if its time has come.

    Sending at once opens it and queues the first chunk of its audience before returning;
    the rest is fanned out on a thread (`background`) or left to the caller or the clock.
    """
    planned = plan(container, consultation, at)
    now = container.clock()
    with transaction(container.sessions) as session:
        row = session.get(ConsultationRow, consultation.id)
        # A draft (saved from the dashboard) or a scheduled one may be (re)launched.
        if row is not None and row.status not in ("draft", "scheduled"):
            raise LaunchRefused(
                f"{consultation.id!r} was already launched; give a new version a new id"
            )
        row = row or ConsultationRow(id=consultation.id, created_at=now, created_by=actor)
        row.definition, row.status = consultation.to_json(), "scheduled"
        row.launch_at, row.closes_at, row.updated_at = (
            planned.launch_at,
            consultation.closes_at,
            now,
        )
        session.add(row)
    if planned.launch_at <= now:
        from bot.consultation_clock import fan_out, launch_due

        launch_due(container, now, {consultation.id: planned.recipients})
        fan_out(container, now, container.settings.consultation_fanout_seconds, consultation.id, 1)
        if background and fanning_out(container, consultation.id):
            # A crash here loses nothing: the clock's next pass carries on from the cursor.
            threading.Thread(
                target=finish_fan_out,
                args=(container, consultation.id),
                name=f"{FAN_OUT_THREAD} {consultation.id}",
                daemon=True,
            ).start()
    return planned


FAN_OUT_THREAD = "consultation fan-out"


def fanning_out(container: Container, consultation_id: str) -> bool:
    """Whether a launched consultation still has contacts to invite."""
    with transaction(container.sessions) as session:
        row = session.get(ConsultationRow, consultation_id)
        return row is not None and row.fanout_after is not None


def finish_fan_out(container: Container, consultation_id: str) -> int:
    """Queue the rest of a launched consultation's messages now; returns how many."""
    from bot.consultation_clock import fan_out

    return fan_out(container, container.clock(), float("inf"), consultation_id)


def messages_for(config: EngineConfig, consultation: Consultation, purpose: str) -> Messages:
    """What a group of invitees is sent: the intro and first question, or a reminder."""

    def build(language: str, channel: str, position: str | None) -> tuple[OutgoingMessage, ...]:
        ctx = snapshot_for(config, language, channel, consultation.audience.community)
        if purpose == "reminder":
            return (flow.reminder(ctx, consultation, position or consultation.first().id),)
        first = consultation.first()
        state = flow.state_for(consultation, first.id)
        return (
            flow.intro(ctx, consultation),
            put.question_message(ctx, consultation, first, state, MessageKind.PROACTIVE),
        )

    return build
