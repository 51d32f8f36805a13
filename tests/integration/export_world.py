"""A world for export tests: Bettws families who answered the play-park consultation, reacted
to tips and replied to an event, with every identifier an export must not leak written down."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from bot.consultations import launch
from bot.events import create as create_event
from conversations.types import Channel
from storage.db import transaction
from storage.models import Child, Contact, TipDelivery, TipReaction
from tests.integration.test_consultations import play_park
from tests.integration.test_events import rhyme_time
from tests.integration.world import START, World

WELSH = "+447700900701"
TELEGRAM = "700900702"
ENGLISH = "+447700900703"
SIMULATED = "+447700900790"
FELTHAM = "+447700900704"
NICKNAME = "Zebedee"
FORMULA = '=HYPERLINK("http://example.org/x","click")'


@dataclass
class Known:
    """What the world holds that no pseudonymised export may show."""

    world: World
    contact_codes: dict[str, str] = field(default_factory=dict)  # address -> contact code
    birth_dates: list[str] = field(default_factory=list)

    def forbidden(self) -> list[str]:
        return [
            "+447700900",
            "447700900",
            TELEGRAM,
            NICKNAME,
            *self.contact_codes.values(),
            *self.birth_dates,
        ]


def build(world: World) -> Known:
    """Three real Bettws respondents (one answers with a formula), a simulated one, and a
    Feltham parent outside the audience; tip reactions; RSVPs to rhyme time."""
    world.join(Channel.SMS, WELSH, "bettws", "1", "1", "2", "12/6/2025", "hepgor", "2", "1")
    world.join(
        Channel.TELEGRAM, TELEGRAM, "/start bettws", "2", "1", "2", "1/2/2024", NICKNAME, "2", "1"
    )
    world.join(Channel.SMS, ENGLISH, "bettws", "2", "1", "2", "3/1/2023", "skip", "2", "1")
    world.join(Channel.SMS, FELTHAM, "feltham", "1", "2", "3/1/2025", "skip", "2", "1")
    world.join(
        Channel.SMS, SIMULATED, "bettws", "2", "1", "2", "3/3/2024", "skip", "2", "1", real=False
    )
    launch(world.container, play_park())
    world.now += timedelta(minutes=5)
    world.say(WELSH, "1", "2", "1,3", "4", "dau", FORMULA, "ie")
    world.now += timedelta(minutes=5)
    world.say(TELEGRAM, "2", "3", "4,6", "2", "1")  # stops before the free text
    world.now += timedelta(minutes=5)
    world.say(ENGLISH, "1", "1", "1", "3", "1", "skip", "2")  # skips the free text
    world.say(SIMULATED, "1", "2", "1", "5", "1", "skip", "2")
    world.now += timedelta(minutes=5)
    create_event(world.container, rhyme_time(capacity=1))
    world.say(WELSH, "1")
    world.say(ENGLISH, "1")  # the one place is taken: the waiting list
    world.say(SIMULATED, "1")
    known = Known(world)
    ids = {a: world.contact_id(a) for a in (WELSH, TELEGRAM, ENGLISH, FELTHAM, SIMULATED)}
    with transaction(world.container.sessions) as session:
        for address, contact_id in ids.items():
            contact = session.get_one(Contact, contact_id)
            known.contact_codes[address] = contact.code
            child = session.scalars(select(Child).where(Child.contact_id == contact.id)).first()
            assert child is not None and child.birth_date is not None
            known.birth_dates.append(child.birth_date.isoformat())
            for tip, reaction in (("p12", "useful"), ("p13", "tried")):
                session.add(
                    TipDelivery(
                        contact_id=contact.id,
                        child_id=child.id,
                        tip_id=tip,
                        message_key=f"test:{contact.id}:{tip}",
                        local_week="2026-W11",
                        sent_at=START + timedelta(days=1),
                    )
                )
                session.add(
                    TipReaction(
                        contact_id=contact.id,
                        tip_id=tip,
                        reaction=reaction,
                        channel="sms",
                        reacted_at=START + timedelta(days=1, hours=2),
                    )
                )
    return known


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def read_xlsx(content: bytes) -> list[list[str]]:
    """Rows as text, as the CSV shows them (blank for an empty cell)."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    rows = [
        ["" if v is None else str(v) for v in row]
        for row in book.worksheets[0].iter_rows(values_only=True)
    ]
    width = len(rows[0])  # a write-only sheet leaves trailing empty cells out
    return [row + [""] * (width - len(row)) for row in rows]


def xlsx_text(content: bytes) -> str:
    """Every XML part of the workbook, decompressed: what a search for identifiers must see."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def plain_text(content: bytes, fmt: str) -> str:
    return content.decode("utf-8-sig") if fmt == "csv" else xlsx_text(content)
