"""Consultation results on real databases: counts, rates, breakdowns and small-cell suppression."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from bot.consultation_table import print_results
from conversations.consultations.model import Consultation, Option, Question
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_models import ConsultationAnswer, ConsultationInvite
from storage.consultation_results import Count, QuestionResult, Results, results
from storage.db import make_engine, session_factory, transaction
from storage.models import Community, Contact
from tests.conftest import make_settings

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
SECRET = "ring me on 07700 900123 about the broken gate"


def _texts(en: str) -> dict[str, str]:
    return {"en": en, "cy": f"{en} (cy)"}


def _options(*ids: str) -> tuple[Option, ...]:
    return tuple(Option(i, _texts(i.replace("-", " ").title())) for i in ids)


PARK = Consultation(
    id="park",
    title=_texts("What would make the play park better?"),
    intro=_texts("A few questions."),
    questions=(
        Question("visit", "choice", _texts("How often?"), _options("daily", "weekly", "never")),
        Question("help", "multi", _texts("What helps?"), _options("shade", "swings", "toilets")),
        Question(
            "safe",
            "scale",
            _texts("How safe does it feel?"),
            labels={"low": _texts("Not safe"), "high": _texts("Very safe")},
        ),
        Question("fence", "yesno", _texts("Should it have a fence?")),
        Question("kids", "number", _texts("How many children come with you?")),
        Question("when", "date", _texts("When did you last go?")),
        Question("ideas", "text", _texts("Any other ideas?"), optional=True),
    ),
)  # fmt: skip


@dataclass
class Person:
    community: str = "bettws"
    language: str = "en"
    channel: str = "sms"
    age_band: str = "12-23m"
    status: str = "asked"
    answers: Mapping[str, str | None] = field(default_factory=dict)  # None: skipped


def people(n: int, **kwargs: object) -> list[Person]:
    return [Person(**kwargs) for _ in range(n)]  # type: ignore[arg-type]


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def seed(
    sessions: sessionmaker[Session],
    group: list[Person],
    consultation: Consultation = PARK,
    status: str = "open",
) -> None:
    with transaction(sessions) as session:
        for cid in ("bettws", "feltham", "margate"):
            if session.get(Community, cid) is None:
                session.add(Community(id=cid, name=cid.title(), nation="x", languages=["en"],
                                      timezone="Europe/London"))  # fmt: skip
        session.add(
            ConsultationRow(
                id=consultation.id,
                definition=consultation.to_json(),
                status=status,
                launch_at=NOW,
                launched_at=NOW,
                closes_at=None,
                recipients=len(group),
                created_at=NOW,
                updated_at=NOW,
            )
        )
        session.flush()
        for index, person in enumerate(group):
            contact = Contact(
                code=f"{consultation.id}-{index}"[:16],
                community_id=person.community,
                language=person.language,
                status="active",
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(contact)
            session.flush()
            finished = person.status == "finished"
            session.add(
                ConsultationInvite(
                    consultation_id=consultation.id,
                    contact_id=contact.id,
                    community_id=person.community,
                    language=person.language,
                    channel=person.channel,
                    age_band=person.age_band,
                    status=person.status,
                    invited_at=NOW,
                    started_at=NOW if person.answers else None,
                    finished_at=NOW if finished else None,
                )
            )
            for qid, value in person.answers.items():
                session.add(
                    ConsultationAnswer(
                        consultation_id=consultation.id,
                        contact_id=contact.id,
                        question_id=qid,
                        value=value,
                        skipped=value is None,
                        channel=person.channel,
                        answered_at=NOW + timedelta(minutes=1),
                    )
                )


def compute(sessions: sessionmaker[Session], cid: str = "park", threshold: int = 5) -> Results:
    with transaction(sessions) as session:
        return results(session, cid, threshold)


def question(found: Results, qid: str) -> QuestionResult:
    return next(q for q in found.questions if q.id == qid)


def table(counts: tuple[Count, ...]) -> dict[str, tuple[int | None, float | None]]:
    return {c.key: (c.count, c.percent) for c in counts}


def marks(counts: tuple[Count, ...]) -> dict[str, int | str | None]:
    """Each count as a coordinator reads it: the number, "<5" or "*"."""
    return {
        c.key: c.count if c.count is not None else ("*" if c.suppressed == "secondary" else "<5")
        for c in counts
    }


def everyone() -> list[Person]:
    """20 invited: 16 answered something, 12 finished, 4 never started."""
    answers: list[dict[str, str | None]] = [{} for _ in range(16)]
    none: list[str | None] = []
    columns: dict[str, list[str | None]] = {
        "visit": ["daily"] * 8 + ["weekly"] * 6 + [None] * 2,
        "help": ["shade,swings"] * 5 + ["shade"] * 2 + ["toilets"] * 0 + [None] * 3,
        "safe": none + ["1"] * 2 + ["3"] * 4 + ["5"] * 4,
        "fence": none + ["yes"] * 9 + ["no"] * 3,
        "kids": none + ["2"] * 5 + ["2.5"] + ["10"] * 4,
        "when": none + ["2026-11-01"] * 3 + ["2026-10-15"] * 2,
        "ideas": [SECRET, "more benches please", "a cafe", None, "swings for babies", "shade"],
    }
    for qid, values in columns.items():
        for index, value in enumerate(values):
            answers[index][qid] = value
    group = []
    for index, given in enumerate(answers):
        group.append(
            Person(
                community="bettws" if index % 2 else "feltham",
                language="cy" if index % 4 == 1 else "en",
                channel="telegram" if index < 6 else "sms",
                age_band="0-11m" if index < 8 else "24-35m",
                status="finished" if index < 12 else "started",
                answers=given,
            )
        )
    return group + people(4, community="margate")


def test_counts_and_percentages_for_every_type_in_definition_order(
    sessions: sessionmaker[Session],
) -> None:
    seed(sessions, everyone())
    found = compute(sessions, threshold=1)  # nothing hidden: the exact figures

    visit = question(found, "visit")
    assert (visit.answered, visit.skipped) == (14, 2)
    assert [c.key for c in visit.counts] == ["daily", "weekly", "never"]
    assert [c.label for c in visit.counts] == ["Daily", "Weekly", "Never"]
    assert table(visit.counts) == {"daily": (8, 57.1), "weekly": (6, 42.9), "never": (0, 0.0)}
    assert visit.summary is None

    help_ = question(found, "help")  # percent of the 7 who answered, not of the 12 choices
    assert (help_.answered, help_.skipped) == (7, 3)
    assert table(help_.counts) == {
        "shade": (7, 100.0),
        "swings": (5, 71.4),
        "toilets": (0, 0.0),
    }

    safe = question(found, "safe")
    assert [c.label for c in safe.counts] == ["1 Not safe", "2", "3", "4", "5 Very safe"]
    assert table(safe.counts) == {
        "1": (2, 20.0),
        "2": (0, 0.0),
        "3": (4, 40.0),
        "4": (0, 0.0),
        "5": (4, 40.0),
    }
    assert safe.summary == {"mean": 3.4, "median": 3.0, "min": 1.0, "max": 5.0}

    fence = question(found, "fence")
    assert table(fence.counts) == {"yes": (9, 75.0), "no": (3, 25.0)}
    assert [c.label for c in fence.counts] == ["Yes", "No"]

    kids = question(found, "kids")  # numeric order, not "10" < "2"
    assert table(kids.counts) == {"2": (5, 50.0), "2.5": (1, 10.0), "10": (4, 40.0)}
    assert kids.summary == {"mean": 5.25, "median": 2.25, "min": 2.0, "max": 10.0}
    assert kids.breakdowns == {}  # per value per group would be all hidden cells
    assert kids.breakdown_totals["community"]["bettws"].count == 5

    when = question(found, "when")
    assert table(when.counts) == {"2026-10-15": (2, 40.0), "2026-11-01": (3, 60.0)}
    assert when.summary is None

    ideas = question(found, "ideas")
    assert (ideas.answered, ideas.skipped, ideas.counts) == (5, 1, ())
    assert ideas.text == "Any other ideas?"


def test_response_rates_overall_and_by_group(sessions: sessionmaker[Session]) -> None:
    seed(sessions, everyone())
    found = compute(sessions, threshold=1)
    assert (found.consultation_id, found.status) == ("park", "open")
    assert found.title == "What would make the play park better?"
    assert (found.invited, found.started, found.finished) == (20, 16, 12)
    assert found.response_rate == pytest.approx(0.8)
    assert found.completion_rate == pytest.approx(0.6)
    community = {g: table(c) for g, c in found.by_dimension["community"].items()}
    assert community == {
        "bettws": {"invited": (8, None), "started": (8, 100.0), "finished": (6, 75.0)},
        "feltham": {"invited": (8, None), "started": (8, 100.0), "finished": (6, 75.0)},
        "margate": {"invited": (4, None), "started": (0, 0.0), "finished": (0, 0.0)},
    }
    assert list(found.by_dimension) == ["community", "language", "channel", "age_band"]
    assert list(found.by_dimension["age_band"]) == ["0-11m", "12-23m", "24-35m"]
    language = found.by_dimension["language"]
    assert [c.count for c in language["cy"]] == [4, 4, 3]
    assert [c.count for c in language["en"]] == [16, 12, 9]


def test_breakdowns_by_community_language_channel_and_age_band(
    sessions: sessionmaker[Session],
) -> None:
    seed(sessions, everyone())
    visit = question(compute(sessions, threshold=1), "visit")
    assert set(visit.breakdowns) == {"community", "language", "channel", "age_band"}
    # Answers 0-15 alternate feltham (even) and bettws (odd); 0-7 daily, 8-13 weekly, 14-15 skip.
    assert table(visit.breakdowns["community"]["feltham"]) == {
        "daily": (4, 57.1),
        "weekly": (3, 42.9),
        "never": (0, 0.0),
    }
    assert table(visit.breakdowns["community"]["bettws"])["weekly"] == (3, 42.9)
    assert "margate" not in visit.breakdowns["community"]  # nobody there answered anything
    assert visit.breakdown_totals["community"]["bettws"].count == 7
    assert table(visit.breakdowns["channel"]["telegram"])["daily"] == (6, 100.0)
    assert table(visit.breakdowns["channel"]["sms"]) == {
        "daily": (2, 25.0),
        "weekly": (6, 75.0),
        "never": (0, 0.0),
    }
    assert table(visit.breakdowns["age_band"]["0-11m"])["daily"] == (8, 100.0)
    assert table(visit.breakdowns["language"]["cy"]) == {  # answers 1, 5, 9, 13
        "daily": (2, 50.0),
        "weekly": (2, 50.0),
        "never": (0, 0.0),
    }
    help_ = question(compute(sessions, threshold=1), "help")
    assert table(help_.breakdowns["channel"]["sms"]) == {  # answer 6: shade; 7-9 skipped
        "shade": (1, 100.0),
        "swings": (0, 0.0),
        "toilets": (0, 0.0),
    }
    ideas = question(compute(sessions, threshold=1), "ideas")
    assert ideas.breakdowns == {}
    assert ideas.breakdown_totals["community"]["feltham"].count == 3


def test_free_text_never_appears_in_results(sessions: sessionmaker[Session]) -> None:
    seed(sessions, everyone())
    for threshold in (1, 5):
        found = compute(sessions, threshold=threshold)
        assert "07700" not in repr(found)
        assert "benches" not in repr(found)
        console = Console(record=True, width=120)
        print_results(console, found)
        assert "07700" not in console.export_text()


def test_small_counts_are_hidden_zero_stays_zero_and_a_lone_one_is_protected(
    sessions: sessionmaker[Session],
) -> None:
    group = people(10, answers={"visit": "daily", "fence": "yes"}, status="finished")
    group += people(3, answers={"visit": "weekly", "fence": "no"}, status="finished")
    seed(sessions, group)
    visit = question(compute(sessions), "visit")
    assert visit.answered == 13
    # weekly (3) is hidden; daily would then be 13 - 3 - 0, so it is hidden too ("*").
    assert marks(visit.counts) == {"daily": "*", "weekly": "<5", "never": 0}
    assert [c.suppressed for c in visit.counts] == ["secondary", "small", None]
    assert table(visit.counts)["never"] == (0, 0.0)
    assert all(c.percent is None for c in visit.counts[:2])  # a percent would give it away

    fence = question(compute(sessions), "fence")
    assert marks(fence.counts) == {"yes": "*", "no": "<5"}

    visible = question(compute(sessions, threshold=3), "visit")  # the threshold is a setting
    assert table(visible.counts) == {"daily": (10, 76.9), "weekly": (3, 23.1), "never": (0, 0.0)}


def test_two_small_cells_protect_each_other_and_skips_are_counted(
    sessions: sessionmaker[Session],
) -> None:
    group = people(10, answers={"visit": "daily"})
    group += people(2, answers={"visit": "weekly"}) + people(3, answers={"visit": "never"})
    group += people(2, answers={"visit": None})
    seed(sessions, group)
    visit = question(compute(sessions), "visit")
    assert marks(visit.counts) == {"daily": 10, "weekly": "<5", "never": "<5"}
    assert table(visit.counts)["daily"] == (10, 66.7)
    assert (visit.answered, visit.skipped) == (15, None)  # 2 skipped: hidden too


def test_a_whole_question_below_the_threshold_is_hidden(sessions: sessionmaker[Session]) -> None:
    seed(sessions, people(3, answers={"visit": "daily", "kids": "2", "safe": "4"}) + people(9))
    found = compute(sessions)
    assert (found.invited, found.started) == (12, 3)  # the headline is always exact
    visit = question(found, "visit")
    assert visit.answered is None
    assert marks(visit.counts) == {"daily": "<5", "weekly": 0, "never": 0}
    assert question(found, "kids").summary is None
    assert question(found, "safe").summary is None


def test_multi_select_hides_an_option_nearly_everyone_chose(
    sessions: sessionmaker[Session],
) -> None:
    group = people(9, answers={"help": "shade,swings"}) + people(1, answers={"help": "swings"})
    group += people(4, answers={"help": "swings,toilets"})
    seed(sessions, group)
    help_ = question(compute(sessions), "help")
    assert help_.answered == 14
    # shade 9 shown alone would say that exactly 5 did not choose it: fine. swings 14 of 14: fine.
    # toilets 4 is small.
    assert marks(help_.counts) == {"shade": 9, "swings": 14, "toilets": "<5"}
    assert table(help_.counts)["shade"] == (9, 64.3)

    seed(
        sessions,
        people(10, answers={"help": "shade"}) + people(1, answers={"help": "swings"}),
        Consultation(id="park2", title=PARK.title, intro=PARK.intro, questions=PARK.questions),
    )
    other = question(compute(sessions, "park2"), "help")
    # 10 of 11 chose shade, so showing 10 would reveal the 1 who did not.
    assert marks(other.counts) == {"shade": "*", "swings": "<5", "toilets": 0}


def test_a_small_group_is_hidden_whole_and_cannot_be_worked_out_from_the_others(
    sessions: sessionmaker[Session],
) -> None:
    group = people(6, community="bettws", answers={"visit": "daily"})
    group += people(6, community="bettws", answers={"visit": "weekly"})
    group += people(7, community="margate", answers={"visit": "daily"})
    group += people(5, community="margate", answers={"visit": "weekly"})
    group += people(2, community="feltham", answers={"visit": "daily"})
    group += people(1, community="feltham", answers={"visit": "weekly"})
    seed(sessions, group)
    visit = question(compute(sessions), "visit")
    assert marks(visit.counts) == {"daily": 15, "weekly": 12, "never": 0}
    community = visit.breakdowns["community"]
    assert marks(community["feltham"]) == {"daily": "<5", "weekly": "<5", "never": "<5"}
    assert {c.suppressed for c in community["feltham"]} == {"group"}
    assert visit.breakdown_totals["community"]["feltham"].count is None
    # Feltham = total - Bettws - Margate, so one of those loses its numbers too: the smaller.
    assert marks(community["bettws"]) == {"daily": "*", "weekly": "*", "never": 0}
    assert visit.breakdown_totals["community"]["bettws"].suppressed == "secondary"
    assert marks(community["margate"]) == {"daily": 7, "weekly": 5, "never": 0}
    assert table(community["margate"])["daily"] == (7, 58.3)


def test_small_response_groups_are_hidden_with_a_partner(sessions: sessionmaker[Session]) -> None:
    group = people(12, language="en", status="finished", answers={"visit": "daily"})
    group += people(3, language="cy", status="finished", answers={"visit": "daily"})
    group += people(6, language="en")
    seed(sessions, group)
    found = compute(sessions)
    assert (found.invited, found.started, found.finished) == (21, 15, 15)
    language = found.by_dimension["language"]
    assert marks(language["cy"]) == {"invited": "<5", "started": "<5", "finished": "<5"}
    # English alone would be 21 - cy: hidden with it.
    assert marks(language["en"]) == {"invited": "*", "started": "*", "finished": "*"}
    assert all(c.percent is None for c in language["en"])
    community = found.by_dimension["community"]["bettws"]
    assert marks(community) == {"invited": 21, "started": 15, "finished": 15}
    assert [c.percent for c in community] == [None, 71.4, 71.4]


def _exposed(found: Results) -> list[str]:
    """Every hidden count that a published total minus published counts would give away."""
    problems = []

    def check(name: str, counts: Sequence[Count | None], total: int | None) -> None:
        hidden = [c for c in counts if c is None or c.count is None]
        if total and len(hidden) == 1:  # a total of 0 says every count in it is 0
            problems.append(name)

    for q in found.questions:
        exclusive = q.type in ("choice", "yesno", "scale", "number", "date")
        if exclusive:
            check(f"{q.id} overall", list(q.counts), q.answered)
        for dim, groups in q.breakdowns.items():
            totals = q.breakdown_totals[dim]
            for group, counts in groups.items():
                if exclusive:
                    check(f"{q.id} {dim} {group}", list(counts), totals[group].count)
            for index, count in enumerate(q.counts):
                column = [counts[index] for counts in groups.values()]
                check(f"{q.id} {dim} {count.key}", column, count.count)
        for dim, totals in q.breakdown_totals.items():
            check(f"{q.id} {dim} answered", list(totals.values()), q.answered)
    for dim, groups in found.by_dimension.items():
        for index, key in enumerate(("invited", "started", "finished")):
            headline = (found.invited, found.started, found.finished)[index]
            check(f"{dim} {key}", [counts[index] for counts in groups.values()], headline)
    return problems


@pytest.mark.parametrize("seed_value", range(12))
def test_random_consultations_never_show_a_small_count_or_a_derivable_one(
    sessions: sessionmaker[Session], seed_value: int
) -> None:
    rng = random.Random(seed_value)
    group = []
    for _ in range(rng.randint(8, 60)):
        answers: dict[str, str | None] = {}
        if rng.random() < 0.85:
            answers["visit"] = rng.choice(["daily", "daily", "weekly", "never", None])
            answers["fence"] = rng.choice(["yes", "yes", "no"])
            answers["safe"] = str(rng.choice([1, 3, 4, 5, 5]))
            chosen = [o for o in ("shade", "swings", "toilets") if rng.random() < 0.6]
            answers["help"] = ",".join(chosen) or None
            answers["ideas"] = rng.choice([None, "some words"])
        group.append(
            Person(
                community=rng.choice(["bettws", "bettws", "feltham", "margate"]),
                language=rng.choice(["en", "en", "cy"]),
                channel=rng.choice(["sms", "telegram"]),
                age_band=rng.choice(["pregnancy", "0-11m", "12-23m", "none"]),
                status="finished" if answers else rng.choice(["asked", "pending"]),
                answers=answers,
            )
        )
    seed(sessions, group)
    exact = compute(sessions, threshold=1)
    found = compute(sessions, threshold=5)
    assert _exposed(found) == []
    pairs: list[tuple[Count, Count]] = []
    for q_exact, q in zip(exact.questions, found.questions, strict=True):
        pairs += zip(q_exact.counts, q.counts, strict=True)
        for dim, groups in q.breakdowns.items():
            for g, counts in groups.items():
                pairs += zip(q_exact.breakdowns[dim][g], counts, strict=True)
        for dim, totals in q.breakdown_totals.items():
            pairs += [(q_exact.breakdown_totals[dim][g], totals[g]) for g in totals]
    for dim, groups in found.by_dimension.items():
        for g, counts in groups.items():
            pairs += zip(exact.by_dimension[dim][g], counts, strict=True)
    assert pairs
    for true, published in pairs:
        assert true.count is not None
        if published.count is not None:
            assert published.count == true.count
            assert published.count == 0 or published.count >= 5
        elif published.suppressed == "small":
            assert 1 <= true.count <= 4
        if true.count == 0 and published.suppressed != "group":
            assert published.count == 0


def test_unknown_consultation_and_a_bad_threshold(sessions: sessionmaker[Session]) -> None:
    seed(sessions, [])
    with pytest.raises(KeyError):
        compute(sessions, "no-such-consultation")
    with pytest.raises(ValueError, match="at least 1"):
        compute(sessions, threshold=0)
    empty = compute(sessions)
    assert (empty.invited, empty.response_rate, empty.by_dimension["community"]) == (0, 0.0, {})
    assert question(empty, "visit").counts[0].count == 0


def test_threshold_setting(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert make_settings(database_url, tmp_path).small_cell_threshold == 5
    monkeypatch.setenv("SMALL_CELL_THRESHOLD", "10")
    assert make_settings(database_url, tmp_path).small_cell_threshold == 10
    with pytest.raises(ValidationError):
        make_settings(database_url, tmp_path, small_cell_threshold=0)


def test_the_table_a_coordinator_reads(sessions: sessionmaker[Session]) -> None:
    group = people(
        6, community="bettws", status="finished", answers={"visit": "daily", "ideas": SECRET}
    )
    group += people(6, community="bettws", status="finished", answers={"visit": "weekly"})
    group += people(7, community="margate", status="finished", answers={"visit": "daily"})
    group += people(5, community="margate", answers={"visit": "weekly"})
    group += people(2, community="feltham", status="finished", answers={"visit": "daily"})
    group += people(1, community="feltham", answers={"visit": "weekly"})
    group += people(5, community="feltham")
    seed(sessions, group)  # fmt: skip
    console = Console(record=True, width=120)
    print_results(console, compute(sessions))
    text = console.export_text()
    lines = text.splitlines()
    assert lines[0] == "What would make the play park better?"
    assert "park · open · invited 32 · started 27 (84%) · finished 21 (66%)" in text
    assert "<5: 1 to 4 people, or a group of fewer than 5" in text
    assert "1. How often?" in text
    assert "answered 27 · skipped 0" in text
    row = next(line for line in lines if line.strip().startswith("Daily"))
    assert row.split() == ["Daily", "15", "55.6%"]
    row = next(line for line in lines if line.strip().startswith("Never"))
    assert row.split() == ["Never", "0", "0.0%"]
    margate = [line.split() for line in lines if line.strip().startswith("margate")]
    assert ["margate", "12", "7", "(58%)", "5", "(42%)", "0", "(0%)"] in margate
    feltham = [line.split() for line in lines if line.strip().startswith("feltham")]
    assert ["feltham", "<5", "<5", "<5", "<5"] in feltham
    bettws = [line.split() for line in lines if line.strip().startswith("bettws")]
    assert ["bettws", "*", "*", "*", "0"] in bettws
    assert "Free-text answers are never shown in results." in text
    assert "07700" not in text
    assert "Responses by group" in text
