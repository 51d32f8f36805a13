"""How long launching a consultation takes, set-based, against writing it row by row.

    .venv/bin/python benchmarks/consultation_launch.py [--recipients 100000]
        [--baseline-recipients 5000] [--database-url URL]

Seeds the same households as `clock_pass.py` (one community, ages pregnancy to five; about
93% have a child of 0-60 months, so households are sized to give --recipients), then
launches the play-park consultation to every household with a child aged 0-60 months: the
invites (one INSERT … SELECT) and the intro and first question (one INSERT … SELECT per
language and channel). The baseline, in the same run and rolled back, writes the same outbox
rows the obvious way: select the audience, then add one ORM row per message; it runs over
the first --baseline-recipients and is scaled to the launch's count.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from households import TUESDAY, fresh_container, populate

from bot.consultation_yaml import load
from bot.consultations import launch, messages_for
from conversations.consultations.model import Audience
from storage import consultation_audience
from storage.db import transaction
from storage.models import ContactIdentity, Outbox
from storage.outbox import enqueue

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=100_000, help="about this many")
    parser.add_argument("--baseline-recipients", type=int, default=5000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    container = fresh_container(args.database_url, clock=lambda: TUESDAY)
    populate(container, int(args.recipients / 0.927))
    consultation, _ = load(ROOT / "examples/consultations/play-park.yaml")
    assert consultation is not None
    consultation = replace(
        consultation, audience=Audience(community="feltham", child_age_months=(0, 60))
    )
    config = container.engine.config

    def row_by_row() -> int:
        build_messages = messages_for(config, consultation, "intro")
        session = container.sessions()
        session.begin()
        audience = consultation_audience.audience_rows(consultation.audience, TUESDAY.date())
        audience = audience.limit(args.baseline_recipients)
        count = looked = 0
        for contact_id, _community, language, channel, _band in session.execute(audience):
            identity = session.scalars(
                select(ContactIdentity).where(ContactIdentity.contact_id == contact_id).limit(1)
            ).one()
            looked += 1
            for n, message in enumerate(build_messages(language, channel, None)):
                key = f"c:{consultation.id}:intro:{n}:{contact_id}"
                enqueue(session, contact_id, identity, message, TUESDAY, dedupe_key=key)
                count += 1
        session.flush()
        session.rollback()
        session.close()
        return looked, count

    started = time.perf_counter()
    looked, baseline_rows = row_by_row()
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    planned = launch(container, consultation)
    took = time.perf_counter() - started
    with transaction(container.sessions) as session:
        written = session.scalar(select(func.count()).where(Outbox.dedupe_key.like("c:%")))

    print(f"database: {container.database.dialect.name}; recipients: {planned.recipients}")
    scaled = baseline / max(looked, 1) * planned.recipients
    print(
        f"baseline, row by row (rolled back): {baseline * 1000:.0f} ms for {looked:,} recipients"
        f" ({baseline_rows:,} rows); scaled to {planned.recipients:,}: {scaled:.1f} s"
    )
    print(
        f"launch, set-based (plan, invites, states, outbox): {took * 1000:.0f} ms for "
        f"{written:,} messages ({scaled / took:.1f}x faster than the baseline)"
    )
    container.close()


if __name__ == "__main__":
    main()
