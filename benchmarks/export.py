"""How fast the responses export runs, streamed and set-based, against loading row by row.

    .venv/bin/python benchmarks/export.py [--respondents 100000] [--database-url URL]

Builds that many Feltham respondents to the play-park consultation (uses, how often, the
multi-select help question and the safety scale), then exports the responses as CSV through
`write_export` (one GROUP BY statement, streamed a thousand rows at a time) and, as the baseline
in the same run, the obvious way: load every invite as an ORM object, then each one's answers
with its own query, and write the same CSV.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clock_pass import TUESDAY, fresh_container

from bot.consultation_yaml import load
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_models import ConsultationAnswer, ConsultationInvite
from storage.db import transaction
from storage.exports.run import write_export
from storage.exports.spec import Filters
from storage.models import Contact

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 5000
ANSWERS = (("uses", "yes"), ("how-often", "weekly"), ("help", "shade,toilets"), ("safety", "4"))


def populate(container, respondents: int) -> None:  # type: ignore[no-untyped-def]
    consultation, problems = load(ROOT / "examples/consultations/play-park.yaml")
    assert consultation is not None, problems
    with transaction(container.sessions) as session:
        session.add(
            ConsultationRow(
                id="play-park",
                definition=consultation.to_json(),
                status="open",
                launch_at=TUESDAY,
                launched_at=TUESDAY,
                created_at=TUESDAY,
                updated_at=TUESDAY,
            )
        )
    for start in range(0, respondents, CHUNK):
        numbers = range(start + 1, min(start + CHUNK, respondents) + 1)
        with transaction(container.sessions) as session:
            session.execute(
                insert(Contact),
                [
                    {
                        "id": n,
                        "code": f"B{n:07d}",
                        "community_id": "feltham",
                        "language": "en",
                        "status": "active",
                        "is_simulated": False,
                        "created_at": TUESDAY,
                        "updated_at": TUESDAY,
                    }
                    for n in numbers
                ],
            )
            session.execute(
                insert(ConsultationInvite),
                [
                    {
                        "consultation_id": "play-park",
                        "contact_id": n,
                        "community_id": "feltham",
                        "language": "en",
                        "channel": "sms",
                        "age_band": "12-23m",
                        "status": "finished",
                        "invited_at": TUESDAY,
                        "started_at": TUESDAY,
                        "finished_at": TUESDAY,
                    }
                    for n in numbers
                ],
            )
            session.execute(
                insert(ConsultationAnswer),
                [
                    {
                        "consultation_id": "play-park",
                        "contact_id": n,
                        "question_id": question,
                        "value": value,
                        "skipped": False,
                        "channel": "sms",
                        "answered_at": TUESDAY,
                    }
                    for n in numbers
                    for question, value in ANSWERS
                ],
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    container = fresh_container(args.database_url, clock=lambda: TUESDAY)
    populate(container, args.respondents)

    def row_by_row() -> int:
        out = csv.writer(io.StringIO())
        count = 0
        with transaction(container.sessions) as session:
            for invite in session.scalars(select(ConsultationInvite)).all():
                answers = session.scalars(
                    select(ConsultationAnswer).where(
                        ConsultationAnswer.consultation_id == invite.consultation_id,
                        ConsultationAnswer.contact_id == invite.contact_id,
                    )
                ).all()
                out.writerow([invite.contact_id, *(a.value for a in answers)])
                count += 1
        return count

    started = time.perf_counter()
    baseline_rows = row_by_row()
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    with transaction(container.sessions) as session:
        rows = write_export(
            session,
            "responses",
            "csv",
            io.BytesIO(),
            mode="pseudonymised",
            filters=Filters(consultation="play-park"),
            timezone="Europe/London",
            threshold=5,
        )
    took = time.perf_counter() - started

    print(f"database: {container.database.dialect.name}; respondents: {args.respondents}")
    print(f"baseline, ORM row by row: {baseline_rows / baseline:,.0f} rows/s ({baseline:.1f} s)")
    print(
        f"export, streamed GROUP BY: {rows / took:,.0f} rows/s ({took:.1f} s; "
        f"{baseline / took:.1f}x the baseline)"
    )
    container.close()


if __name__ == "__main__":
    main()
