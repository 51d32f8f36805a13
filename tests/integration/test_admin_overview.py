"""The overview: families, this week's joins, opt-outs, messages and tip reactions per community.

A known world (six Bettws families, one in Feltham, one simulated parent), real HTTP; the
numbers must leave out simulated parents and other people's communities.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from conversations.types import Channel
from storage.db import transaction
from storage.models import Outbox, TipReaction
from tests.integration.world import (
    BUSY,
    ENGLISH_SMS,
    ENGLISH_TELEGRAM,
    FELTHAM,
    START,
    WELSH_SMS,
    World,
    populate,
)

Client = Callable[[str], TestClient]
SIMULATED = "+447700900590"


def figure(page: str, element_id: str) -> int:
    found = re.search(rf'id="{re.escape(element_id)}">(\d+)<', page)
    assert found, f"no {element_id} in the page"
    return int(found.group(1))


def mark(world: World, address: str, **values: object) -> int:
    """Give the newest outbox row of this family these values; returns its id."""
    contact_id = world.contact_id(address)
    with transaction(world.container.sessions) as session:
        row_id = session.scalars(
            select(Outbox.id).where(Outbox.contact_id == contact_id).order_by(Outbox.id.desc())
        ).first()
        assert row_id is not None
        session.execute(update(Outbox).where(Outbox.id == row_id).values(**values))
    return row_id


def react(world: World, address: str, tip_id: str, reaction: str) -> None:
    with transaction(world.container.sessions) as session:
        session.add(
            TipReaction(
                contact_id=world.contact_id(address),
                tip_id=tip_id,
                reaction=reaction,
                channel="sms",
                reacted_at=START,
            )
        )


def known_world(world: World) -> None:
    populate(world)  # Bettws: 6 families (1 Welsh, 1 on Telegram); Feltham: 1
    world.join(Channel.SMS, SIMULATED, "bettws", "2", "1", "2", "3/3/2025", "skip", "2", "1",
               real=False)  # fmt: skip
    world.say(BUSY, "STOP")
    with transaction(world.container.sessions) as session:  # the chats marked replies sent
        session.execute(update(Outbox).values(status="queued", sent_at=None, delivery_status=None))
    sent = {"status": "sent", "sent_at": START, "delivery_status": "delivered"}
    mark(world, WELSH_SMS, **sent)
    mark(world, ENGLISH_SMS, status="sent", sent_at=START, delivery_status="undelivered")
    mark(world, ENGLISH_TELEGRAM, status="sent", sent_at=START, delivery_status="sent")
    mark(world, FELTHAM, **sent)
    mark(world, SIMULATED, **sent)  # never counted
    with transaction(world.container.sessions) as session:  # last week: not counted
        old = session.scalars(
            select(Outbox.id)
            .where(Outbox.contact_id == world.contact_id(WELSH_SMS), Outbox.status == "queued")
            .order_by(Outbox.id)
        ).first()
        session.execute(
            update(Outbox)
            .where(Outbox.id == old)
            .values(status="sent", sent_at=START - timedelta(days=8), delivery_status="delivered")
        )
    react(world, WELSH_SMS, "t1", "useful")
    react(world, ENGLISH_SMS, "t1", "useful")
    react(world, ENGLISH_TELEGRAM, "t1", "tried")
    react(world, SIMULATED, "t1", "useful")  # never counted
    react(world, FELTHAM, "t1", "not_for_me")


def test_a_worker_sees_their_community_without_simulated_parents(
    world: World, staff_client: Client
) -> None:
    known_world(world)
    page = staff_client("wendy").get("/admin").text
    assert "Signed in as wendy." in page and "Community worker" in page
    assert 'id="community-bettws"' in page and 'id="community-feltham"' not in page
    assert figure(page, "bettws-active") == 5  # six joined, one said STOP; not the simulated one
    assert figure(page, "bettws-opted-out") == 1
    assert figure(page, "bettws-joined") == 6
    assert figure(page, "bettws-left") == 1
    assert figure(page, "bettws-sent") == 3  # last week's message is not this week's
    assert figure(page, "bettws-delivered") == 1
    assert figure(page, "bettws-reaction-useful") == 2
    assert figure(page, "bettws-reaction-tried") == 1
    assert figure(page, "bettws-reaction-not_for_me") == 0
    assert "since Monday 09/03/2026" in page
    table = page[page.index('id="bettws-contacts"') :]
    assert "Telegram" in table and "Welsh" in table


def test_a_coordinator_elsewhere_never_sees_bettws(world: World, staff_client: Client) -> None:
    known_world(world)
    colin = staff_client("colin")
    page = colin.get("/admin").text
    assert 'id="community-bettws"' not in page and "Bettws" not in page
    assert figure(page, "feltham-active") == 1
    assert figure(page, "feltham-reaction-not_for_me") == 1
    assert figure(page, "margate-active") == 0
    assert colin.get("/admin/communities/bettws").status_code == 404
    assert colin.get("/admin/communities/feltham").status_code == 200


def test_a_community_page_shows_that_community(world: World, staff_client: Client) -> None:
    known_world(world)
    ada = staff_client("ada")
    page = ada.get("/admin/communities/bettws").text
    assert figure(page, "bettws-active") == 5 and 'id="community-feltham"' not in page
    assert ada.get("/admin/communities/atlantis").status_code == 404
    everything = ada.get("/admin").text
    for community in ("bettws", "feltham", "margate", "sheffield", "east-belfast"):
        assert f'id="community-{community}"' in everything
