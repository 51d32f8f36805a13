"""A consultation's counts by community, language, channel and age band, small cells hidden.

The numbers are exactly the results page's (storage.consultation_results), with its
small-cell and secondary suppression: a hidden count is a blank cell and says why.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session

from storage.consultation_results import Count, results
from storage.exports.common import Context, Table
from storage.exports.responses import load_consultation
from storage.exports.spec import Cell

HEADER = [
    "question",
    "type",
    "dimension",
    "group",
    "option",
    "label",
    "count",
    "percent",
    "suppressed",
]
EVERYONE = "all"


def table(session: Session, ctx: Context) -> Table:
    consultation = load_consultation(session, ctx.filters.consultation)
    found = results(session, consultation.id, ctx.threshold)

    def row(question: str, kind: str, dimension: str, group: str, count: Count) -> list[Cell]:
        return [
            question,
            kind,
            dimension,
            group,
            count.key,
            count.label,
            count.count,
            count.percent,
            count.suppressed,
        ]

    def rows() -> Iterator[list[Cell]]:
        for key, number in (
            ("invited", found.invited),
            ("started", found.started),
            ("finished", found.finished),
        ):
            # Exact, as on the results page: how many were asked identifies nobody.
            yield ["(responses)", "", EVERYONE, EVERYONE, key, key, number, None, None]
        for dimension, groups in found.by_dimension.items():
            for group, counts in groups.items():
                for count in counts:
                    yield row("(responses)", "", dimension, group, count)
        for q in found.questions:
            for count in q.counts:
                yield row(q.id, q.type, EVERYONE, EVERYONE, count)
            for dimension, totals in q.breakdown_totals.items():
                for group, total in totals.items():
                    yield row(q.id, q.type, dimension, group, total)
                    for count in q.breakdowns.get(dimension, {}).get(group, ()):
                        yield row(q.id, q.type, dimension, group, count)

    return Table(HEADER, rows())
