"""Exports through the one export function, on SQLite and PostgreSQL.

Families answer the play-park consultation, react to tips and reply to an event through the
real service; every export must match what was stored, hold no identifier unless identifiable
was chosen, escape formulas, hide small groups, and be audited.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from bot.exports import export
from storage.audit_models import AuditEntry
from storage.db import transaction
from storage.event_models import EventRsvp
from storage.exports.spec import ExportError, ExportRequest, Filters, Mode
from storage.models import Contact, TipReaction
from tests.integration.export_world import (
    ENGLISH,
    FORMULA,
    SIMULATED,
    TELEGRAM,
    WELSH,
    Known,
    build,
    plain_text,
    read_csv,
    read_xlsx,
)
from tests.integration.world import World

DATASETS = ("responses", "tips", "events", "messages", "aggregate")
PLAY_PARK = Filters(consultation="play-park")


def run(
    world: World,
    dataset: str,
    fmt: str = "csv",
    mode: Mode = "pseudonymised",
    filters: Filters = PLAY_PARK,
    reason: str | None = None,
) -> bytes:
    stream = io.BytesIO()
    export(
        world.container,
        ExportRequest(dataset, fmt, mode, filters, reason),
        stream,
        actor="tester",
    )
    return stream.getvalue()


def table(world: World, dataset: str, fmt: str = "csv", **kwargs: object) -> list[dict[str, str]]:
    content = run(world, dataset, fmt, **kwargs)  # type: ignore[arg-type]
    rows = read_csv(content) if fmt == "csv" else read_xlsx(content)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.fixture
def known(world: World) -> Known:
    return build(world)


def test_responses_match_the_stored_answers_cell_by_cell(world: World, known: Known) -> None:
    rows = table(
        world,
        "responses",
        mode="identifiable",
        filters=Filters(consultation="play-park", include_free_text=True),
        reason="checking the export against the database",
    )
    by_code = {row["contact_code"]: row for row in rows}
    assert set(by_code) == {known.contact_codes[a] for a in (WELSH, TELEGRAM, ENGLISH)}
    for address in (WELSH, TELEGRAM, ENGLISH):
        row, stored = by_code[known.contact_codes[address]], world.answers(address)
        assert row["uses"] == {"yes": "Yes", "no": "No"}[str(stored["uses"])]
        chosen = set((stored.get("help") or "").split(",")) - {""}
        for option in ("shade", "baby-swings", "toilets", "benches", "lighting", "fence"):
            expected = "" if "help" not in stored else str(int(option in chosen))
            assert row[f"help:{option}"] == expected, (address, option)
        for question in ("safety", "children"):
            assert row[question] == (stored.get(question) or "")
        assert row["follow-up"] == {"yes": "Yes", "no": "No", None: ""}[stored.get("follow-up")]
    welsh = by_code[known.contact_codes[WELSH]]
    assert welsh["how-often"] == "Once or twice a week" and welsh["why-not"] == ""
    assert (welsh["help:shade"], welsh["help:toilets"], welsh["help:fence"]) == ("1", "1", "0")
    assert welsh["ideas"] == "'" + FORMULA  # kept as text, never run as a formula
    assert welsh["language"] == "cy" and welsh["channel"] == "sms" and welsh["status"] == "finished"
    assert welsh["phone_number"] == "'" + WELSH and welsh["telegram_id"] == ""
    assert welsh["started_at"] == "2026-03-10T10:05:00+00:00"  # ISO 8601 with the offset
    telegram = by_code[known.contact_codes[TELEGRAM]]
    assert telegram["why-not"] == "It is too far away" and telegram["help:shade"] == ""
    assert telegram["telegram_id"] == TELEGRAM and telegram["status"] == "started"
    assert by_code[known.contact_codes[ENGLISH]]["ideas"] == ""  # skipped


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_pseudonymised_exports_hold_no_identifier(world: World, known: Known, fmt: str) -> None:
    for dataset in DATASETS:
        text = plain_text(run(world, dataset, fmt), fmt)
        found = [value for value in known.forbidden() if value in text]
        assert found == [], dataset
        assert "HYPERLINK" not in text  # free text is left out unless asked for
    assert "contact_code" not in plain_text(run(world, "responses", fmt), fmt)
    # Asking for free text brings the answer, but still no identifier and no message bodies.
    free = Filters(consultation="play-park", include_free_text=True)
    text = plain_text(run(world, "responses", fmt, filters=free), fmt)
    assert "HYPERLINK" in text and not [v for v in known.forbidden() if v in text]
    text = plain_text(run(world, "messages", fmt, filters=free), fmt)
    assert "HYPERLINK" not in text and "hepgor" not in text


def test_identifiable_exports_carry_identities_and_bodies_only_when_asked(
    world: World, known: Known
) -> None:
    reason = "a parent asked for a copy of their answers"
    text = run(world, "messages", mode="identifiable", reason=reason).decode("utf-8-sig")
    assert WELSH in text and TELEGRAM in text and known.contact_codes[WELSH] in text
    assert "hepgor" not in text  # bodies need free text too
    free = Filters(include_free_text=True)
    text = run(world, "messages", mode="identifiable", filters=free, reason=reason).decode()
    assert "hepgor" in text and "'=HYPERLINK" in text
    assert known.contact_codes[SIMULATED] not in text  # simulated parents: never
    assert known.contact_codes[SIMULATED] not in run(
        world, "tips", mode="identifiable", reason=reason
    ).decode("utf-8-sig")


def test_an_identifiable_export_needs_a_reason(world: World, known: Known) -> None:
    for reason in (None, "", "   "):
        with pytest.raises(ExportError, match="reason"):
            run(world, "responses", mode="identifiable", reason=reason)
    with pytest.raises(ExportError, match="consultation"):
        run(world, "responses", filters=Filters())
    with pytest.raises(ExportError, match="no consultation"):
        run(world, "aggregate", filters=Filters(consultation="nothing-here"))
    with transaction(world.container.sessions) as session:
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all() == []


def test_codes_are_fresh_per_export_and_stable_within_one(world: World, known: Known) -> None:
    first, second = table(world, "messages"), table(world, "messages")
    codes = {row["respondent"] for row in first}
    assert len(codes) == 4  # one code per real parent with messages, on every row of theirs
    assert not codes & {row["respondent"] for row in second}
    assert [r["respondent"] for r in table(world, "tips")].count(first[0]["respondent"]) == 0
    by_code: dict[str, set[str]] = {}
    identified = table(world, "tips", mode="identifiable", reason="matching codes in one file")
    for row in identified:
        by_code.setdefault(row["respondent"], set()).add(row["contact_code"])
    assert all(len(contacts) == 1 for contacts in by_code.values())
    assert len(by_code) == len({row["contact_code"] for row in identified})


def test_xlsx_has_the_same_rows_as_csv(world: World, known: Known) -> None:
    free = Filters(consultation="play-park", include_free_text=True)
    for dataset in DATASETS:
        csv_rows = table(world, dataset, "csv", filters=free)
        xlsx_rows = table(world, dataset, "xlsx", filters=free)
        strip = [{k: v for k, v in row.items() if k != "respondent"} for row in csv_rows]
        assert strip == [{k: v for k, v in r.items() if k != "respondent"} for r in xlsx_rows]
        assert len(csv_rows) == len(xlsx_rows)


def test_tips_and_events_match_the_stored_rows(world: World, known: Known) -> None:
    with transaction(world.container.sessions) as session:
        real = select(Contact.id).where(Contact.is_simulated.is_(False))
        reactions = session.scalars(
            select(TipReaction).where(TipReaction.contact_id.in_(real))
        ).all()
        stored_tips = sorted((r.tip_id, r.reaction, r.channel) for r in reactions)
        rsvps = session.scalars(select(EventRsvp).where(EventRsvp.contact_id.in_(real))).all()
        stored_rsvps = sorted((r.language, r.channel, r.answer or "") for r in rsvps)
    tips = table(world, "tips")
    assert sorted((r["tip"], r["reaction"], r["channel"]) for r in tips) == stored_tips
    welsh = [r for r in tips if r["language"] == "cy" and r["tip"] == "p12"]
    assert welsh[0]["age_band"] == "0-11m" and welsh[0]["sent_at"] == "2026-03-11T10:00:00+00:00"
    events = table(world, "events")
    assert sorted((r["language"], r["channel"], r["answer"]) for r in events) == stored_rsvps
    answers = {r["answer"]: r for r in events}
    assert answers["yes"]["language"] == "cy" and answers["waitlist"]["waiting"] == "1"


def test_filters_narrow_the_rows(world: World, known: Known) -> None:
    finished = Filters(consultation="play-park", finished_only=True)
    assert {r["status"] for r in table(world, "responses", filters=finished)} == {"finished"}
    assert len(table(world, "responses", filters=finished)) == 2
    later = Filters(consultation="play-park", date_from=world.now.date().replace(day=11))
    assert table(world, "responses", filters=later) == []
    feltham = table(world, "tips", filters=Filters(communities=("feltham",)))
    assert len(feltham) == 2 and {r["community"] for r in feltham} == {"feltham"}
    one_day = Filters(date_from=world.now.date(), date_to=world.now.date())
    assert all(
        r["reacted_at"].startswith("2026-03-10") for r in table(world, "tips", filters=one_day)
    )


def test_the_aggregate_hides_small_groups(world: World, known: Known) -> None:
    rows = table(world, "aggregate")
    counts = [r for r in rows if r["question"] != "(responses)" or r["dimension"] != "all"]
    published = [int(r["count"]) for r in counts if r["count"] != ""]
    assert all(n == 0 or n >= 5 for n in published)  # nothing from 1 to 4 is ever shown
    uses = [r for r in rows if r["question"] == "uses" and r["dimension"] == "all"]
    assert {r["option"]: r["suppressed"] for r in uses} == {"yes": "small", "no": "small"}
    welsh = [r for r in rows if r["dimension"] == "language" and r["group"] == "cy"]
    assert welsh and all(r["count"] == "" and r["suppressed"] for r in welsh)


def test_every_export_is_audited_with_its_filters_and_rows(world: World, known: Known) -> None:
    run(world, "responses", filters=Filters(consultation="play-park", finished_only=True))
    run(
        world,
        "tips",
        "xlsx",
        mode="identifiable",
        filters=Filters(communities=("bettws",), consultation="ignored"),
        reason="  follow up  a safeguarding concern ",
    )
    with transaction(world.container.sessions) as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
        ).all()
        seen = [(e.actor, e.subject, e.community_id, e.reason, e.detail) for e in entries]
    assert seen == [
        (
            "tester",
            "consultation:play-park",
            None,
            None,
            {
                "dataset": "responses",
                "format": "csv",
                "mode": "pseudonymised",
                "filters": {"consultation": "play-park", "finished_only": True},
                "rows": 2,
            },
        ),
        (
            "tester",
            "export:tips",
            "bettws",
            "follow up a safeguarding concern",
            {
                "dataset": "tips",
                "format": "xlsx",
                "mode": "identifiable",
                "filters": {"communities": ["bettws"]},  # the consultation did not apply
                "rows": 7,
            },
        ),
    ]
