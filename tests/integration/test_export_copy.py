"""The responses CSV that PostgreSQL writes (COPY) is byte for byte the portable path's file.

Both paths run over the same database and the same export key: the play-park answers given
through the real service, plus respondents stored directly with every awkward value a cell
can hold (quotes, commas, line breaks, formulas, empty text, Welsh letters, unknown options,
numbers, summer time, fractions of a second).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from psycopg.errors import DataError
from sqlalchemy import Select, case, func, literal, literal_column, null, select, text, update
from sqlalchemy.orm import Session

from bot.exports import export
from conversations.consultations.model import Question
from storage.consultation_models import ConsultationAnswer, ConsultationInvite
from storage.consultations import pivoted
from storage.db import transaction
from storage.exports import pg_parallel, responses
from storage.exports.common import Context, Pseudonyms
from storage.exports.pg_copy import INNER, OUTER, pseudonym, settings
from storage.exports.responses_copy import select_cells
from storage.exports.spec import ExportRequest, Filters, Mode
from storage.exports.writers import write_csv, write_csv_blocks
from storage.models import Contact, ContactIdentity
from tests.integration.export_world import build
from tests.integration.world import World

KEY = b"export-key-for-tests-not-secret!"
SUMMER = datetime(2026, 7, 1, 9, 30, 15, 987654, tzinfo=UTC)  # 10:30:15+01:00 in London
AWKWARD = [
    {"ideas": 'say "hi", then go', "how-often": "weekly", "uses": "yes", "children": "-1"},
    {"ideas": "one line\nand another", "how-often": "=1+1", "uses": "maybe", "children": "2.5"},
    {"ideas": "crlf\r\ninside", "how-often": "not-an-option", "uses": "-no", "safety": "5"},
    {"ideas": "-minus", "help": "shade,unknown", "children": "0.0001", "follow-up": "no"},
    {"ideas": "@at", "help": "", "children": "0"},
    {"ideas": "\ttab", "help": "fence", "children": "123456789012345"},
    {"ideas": "+447700900999", "why-not": "too-far"},
    {"ideas": "", "uses": ""},
    {"ideas": "Mae'r parc yn ŵych, ŷ", "help": "toilets,shade,baby-swings"},
    {"ideas": "\\.", "children": "-0.25"},
    {"ideas": " spaced ", "safety": "1"},
    {"ideas": "\r", "children": "100000"},
]


def awkward_respondents(world: World) -> None:
    """Real Bettws parents stored directly, one per AWKWARD row, with odd invites too."""
    with transaction(world.container.sessions) as session:
        for n, answers in enumerate(AWKWARD):
            contact = Contact(
                code=f"AWK{n}",
                community_id="bettws",
                language="en",
                status="active",
                created_at=SUMMER,
                updated_at=SUMMER,
            )
            session.add(contact)
            session.flush()
            session.add(
                ContactIdentity(
                    contact_id=contact.id,
                    channel="sms" if n % 2 else "telegram",
                    address=f"+4477009009{n:02d}" if n % 2 else f"=9009{n:02d}",
                    created_at=SUMMER,
                )
            )
            started = SUMMER + timedelta(days=n % 3, minutes=n)
            session.add(
                ConsultationInvite(
                    consultation_id="play-park",
                    contact_id=contact.id,
                    community_id=("bettws", "-odd,one", "")[n % 3],
                    language=("en", "cy")[n % 2],
                    channel="sms",
                    age_band="12-23m",
                    status=("started", "finished", "asked")[n % 3] if n else "finished",
                    reminders_sent=n % 2,
                    invited_at=started,
                    started_at=started if n % 3 != 2 else None,
                    finished_at=started + timedelta(seconds=n) if n % 3 == 1 else None,
                    answers=dict(answers),  # pivoted as record_answer keeps them
                )
            )
            for question, value in answers.items():
                session.add(
                    ConsultationAnswer(
                        consultation_id="play-park",
                        contact_id=contact.id,
                        question_id=question,
                        value=value,
                        skipped=False,
                        channel="sms",
                        answered_at=started,
                    )
                )
            session.add(
                ConsultationAnswer(
                    consultation_id="play-park",
                    contact_id=contact.id,
                    question_id="safety" if "safety" not in answers else "children",
                    value="3",
                    skipped=True,  # a skipped answer leaves the cell blank on both paths
                    channel="sms",
                    answered_at=started,
                )
            )


def both_paths(session: Session, ctx: Context) -> tuple[bytes, bytes]:
    """(portable, COPY) files of one export, under the same key."""
    portable, copied = io.BytesIO(), io.BytesIO()
    table = responses.table(session, ctx)
    rows = write_csv(portable, table.header, table.rows, lambda done: None)
    blocks = responses.table(session, ctx).csv_blocks()
    assert blocks is not None, "PostgreSQL should write this export itself"
    assert write_csv_blocks(copied, table.header, blocks, lambda done: None) == rows
    return portable.getvalue(), copied.getvalue()


def context(mode: Mode, filters: Filters) -> Context:
    return Context(mode, filters, "Europe/London", pseudonyms=Pseudonyms(KEY))


@pytest.fixture
def awkward(world: World) -> Iterator[World]:
    build(world)
    awkward_respondents(world)
    yield world


@pytest.mark.parametrize(
    ("mode", "filters"),
    [
        ("pseudonymised", Filters(consultation="play-park")),
        ("identifiable", Filters(consultation="play-park", include_free_text=True)),
        ("pseudonymised", Filters(consultation="play-park", finished_only=True)),
        (
            "pseudonymised",
            Filters(
                consultation="play-park",
                include_free_text=True,
                communities=("-odd,one", ""),
                date_from=SUMMER.date(),
            ),
        ),
    ],
)
def test_copy_writes_the_portable_file_byte_for_byte(
    awkward: World, mode: Mode, filters: Filters
) -> None:
    if awkward.container.database.dialect.name != "postgresql":
        with transaction(awkward.container.sessions) as session:
            assert responses.table(session, context(mode, filters)).csv_blocks() is None
        return
    with transaction(awkward.container.sessions) as session:
        portable, copied = both_paths(session, context(mode, filters))
    assert copied == portable
    assert len(portable.splitlines()) > 3  # the filters left awkward rows to compare
    if filters.include_free_text and filters.communities is None:
        assert b'"one line\nand another"' in portable and b"'-minus" in portable
    if filters.communities is None:
        assert b",2026-07-01T10:30:15+01:00," in portable  # summer time; seconds truncated
    assert b"+01:00," in portable


ODD_NUMBERS = {"AWK0": "1e3", "AWK1": "=2", "AWK2": " 4", "AWK3": "1,5", "AWK4": "0.00001"}


def test_odd_stored_numbers_are_written_as_python_writes_them(awkward: World) -> None:
    answer = ConsultationAnswer
    with transaction(awkward.container.sessions) as session:
        for code, value in ODD_NUMBERS.items():
            contact = session.scalars(select(Contact.id).where(Contact.code == code)).one()
            stored = session.scalars(
                select(answer).where(answer.contact_id == contact, answer.question_id == "children")
            ).one()
            stored.value = value
            if not stored.skipped:  # as record_answer keeps the invite's pivoted answers
                invite = session.scalars(
                    select(ConsultationInvite).where(ConsultationInvite.contact_id == contact)
                ).one()
                invite.answers = pivoted(invite.answers, "children", value)
    filters = Filters(consultation="play-park", include_free_text=True)
    if awkward.container.database.dialect.name == "postgresql":
        with transaction(awkward.container.sessions) as session:
            portable, copied = both_paths(session, context("identifiable", filters))
        assert copied == portable
    stream = io.BytesIO()
    request = ExportRequest("responses", "csv", "pseudonymised", filters)
    export(awkward.container, request, stream, actor="tester")
    for cell in (b",1000.0,", b",'=2,", b",4,", b',"1,5",', b",1e-05,"):
        assert cell in stream.getvalue(), cell


def test_the_key_is_not_in_the_statement_and_the_settings_are_put_back(awkward: World) -> None:
    if awkward.container.database.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    ctx = context("identifiable", Filters(consultation="play-park", include_free_text=True))
    inner, outer = ctx.pseudonyms.pads()
    shown = "SELECT current_setting('TimeZone'), current_setting('jit'), " + ", ".join(
        f"current_setting('{name}', true)" for name in (INNER, OUTER)
    )
    with transaction(awkward.container.sessions) as session:
        before = session.execute(text(shown)).one()
        table = responses.table(session, ctx)
        query = responses.pivot(ctx, "play-park", questions(session))
        compiled = select_cells(ctx, query, questions(session), "N0").compile(session.bind)
        for secret in (KEY, inner, outer, inner.hex(), outer.hex()):
            assert str(secret) not in compiled.string + repr(compiled.params)
        blocks = table.csv_blocks()
        assert blocks is not None
        assert write_csv_blocks(io.BytesIO(), [], blocks, lambda done: None) > 3
        after = session.execute(text(shown)).one()
    assert after[:2] == before[:2] and not any(after[2:])


def questions(session: Session) -> list[Question]:
    return responses.load_consultation(session, "play-park").questions


@pytest.mark.parametrize(("parts", "sampled"), [(2, False), (3, False), (7, False), (3, True)])
def test_an_export_cut_into_ranges_run_at_once_is_the_same_file(
    awkward: World, monkeypatch: pytest.MonkeyPatch, parts: int, sampled: bool
) -> None:
    if awkward.container.database.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    monkeypatch.setattr(pg_parallel, "PARTS", parts)
    monkeypatch.setattr(pg_parallel, "MIN_ROWS_PER_PART", 1)
    if sampled:  # the cuts placed from a sample (here every row is drawn), not from all rows
        monkeypatch.setattr(pg_parallel, "SAMPLE", 1.0)
        monkeypatch.setattr(pg_parallel, "MIN_SAMPLE_PER_PART", 1)
    invite = ConsultationInvite
    with transaction(awkward.container.sessions) as session:
        # Ties on the start time, so some ranges are cut between rows only the id orders,
        # and a finished invite with no start time, which sorts last.
        tied = select(Contact.id).where(Contact.code.in_(["AWK0", "AWK1", "AWK3", "AWK4"]))
        session.execute(update(invite).where(invite.contact_id.in_(tied)).values(started_at=SUMMER))
        untimed = select(Contact.id).where(Contact.code == "AWK6")
        session.execute(
            update(invite).where(invite.contact_id.in_(untimed)).values(started_at=None)
        )
    filters = Filters(consultation="play-park", include_free_text=True)
    for mode in ("pseudonymised", "identifiable"):
        ctx = context(mode, filters)
        with transaction(awkward.container.sessions) as session:
            ids = partial(responses.contact_ids, ctx, "play-park")
            cut = pg_parallel.ranges(session, ids, parts, 1)
            assert cut is not None and len(cut) == parts
            portable, copied = both_paths(session, ctx)
        assert copied == portable
        assert len(portable.splitlines()) > parts + 1


def test_the_database_makes_every_respondent_code_as_python_does(world: World) -> None:
    if world.container.database.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    pseudonyms = Pseudonyms(KEY)
    ids = func.generate_series(1, 3000).table_valued("value").render_derived()
    codes = select(ids.c.value, pseudonym(ids.c.value)).order_by(ids.c.value)
    with transaction(world.container.sessions) as session:
        for name, value in settings("UTC", pseudonyms).items():
            session.execute(select(func.set_config(name, value, True)))
        found = session.execute(codes).all()
    # 3,000 ids put all 16 digits in each of the 15 places (about 190 times each).
    assert [code for _, code in found] == [pseudonyms.code(n) for n, _ in found]
    for place in range(2, 17):
        assert {code[place] for _, code in found} == set("0123456789abcdef"), place


def numbered_ranges(parity: int) -> Select[Any]:
    """Rows n of 1..3000 with n % 2 == parity, each with the merge's sort key in front: many
    ties on the start time, some at the microsecond, and every seventh row without one."""
    n = func.generate_series(1, 3000).table_valued("value").render_derived().c.value
    offset = func.make_interval(0, 0, 0, 0, 0, 0, (n * 37 % 50) / literal(1_000_000.0))
    started = case((n % 7 == 0, null()), else_=literal(SUMMER) + offset)
    query = select(*pg_parallel.sort_key(started, n), n).where(n % 2 == parity)
    return query.order_by(started, n)


def joined(batches: Iterator[Sequence[bytes | memoryview]]) -> Iterator[tuple[int, bytes]]:
    return ((len(lines), b"".join(lines)) for lines in batches)


def test_ranges_are_merged_in_start_order_and_an_early_stop_ends_every_range(world: World) -> None:
    if world.container.database.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    statements = [numbered_ranges(0), numbered_ranges(1)]

    def when(n: int) -> tuple[bool, int, int]:
        return (True, 0, n) if n % 7 == 0 else (False, n * 37 % 50, n)

    with transaction(world.container.sessions) as session:
        blocks = pg_parallel.copy_ranges(session, statements, {}, joined, batch=100)
        merged = b"".join(block for _, block in blocks)
    assert [int(line) for line in merged.splitlines()] == sorted(range(1, 3001), key=when)
    pool = world.container.database.pool
    with transaction(world.container.sessions) as session:
        session.connection()
        before = pool.checkedout()  # type: ignore[attr-defined]
        blocks = pg_parallel.copy_ranges(session, statements, {}, joined, batch=10)
        assert next(blocks)[0] == 10
        blocks.close()  # the reader stops after one block: both ranges end, connections back
        assert pool.checkedout() == before  # type: ignore[attr-defined]
        copying = select(func.count()).where(
            text("state = 'active' AND query LIKE 'COPY (%' AND pid <> pg_backend_pid()")
        )
        assert session.scalar(copying.select_from(text("pg_stat_activity"))) == 0


def test_a_failing_range_fails_the_export(world: World) -> None:
    if world.container.database.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    broken = numbered_ranges(1).add_columns(literal(1) / (literal_column("value") - 2001))
    with transaction(world.container.sessions) as session:
        blocks = pg_parallel.copy_ranges(session, [numbered_ranges(0), broken], {}, joined)
        with pytest.raises(DataError, match="division by zero"):
            list(blocks)
