"""Consultation results and the pseudonymous export, through the dashboard over real HTTP.

Bettws families join through the real service and answer the play-park consultation; the page
must chart what they said, hide a group too small to publish, and the export must carry fresh
codes, no simulated parent, and an audit entry.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.consultations import launch
from conversations.types import Channel
from storage.audit_models import AuditEntry
from storage.db import transaction
from storage.models import Contact
from tests.integration.test_consultations import play_park
from tests.integration.world import START, WELSH_SMS, World

Client = Callable[[str], TestClient]
ENGLISH = [f"+4477009006{n:02d}" for n in range(6)]
SIMULATED = "+447700900690"
RESULTS = "/admin/consultations/play-park/results"
EXPORT = "/admin/consultations/play-park/export.csv"


def answered_world(world: World) -> None:
    """Six English parents and one Welsh parent say they use the park; a simulated one too."""
    world.join(Channel.SMS, WELSH_SMS, "bettws", "1", "1", "2", "12/6/2025", "hepgor", "2", "1")
    for address in ENGLISH:
        world.join(Channel.SMS, address, "bettws", "2", "1", "2", "3/3/2024", "skip", "2", "1")
    world.join(Channel.SMS, SIMULATED, "bettws", "2", "1", "2", "3/3/2024", "skip", "2", "1",
               real=False)  # fmt: skip
    launch(world.container, play_park())
    for address in [WELSH_SMS, *ENGLISH, SIMULATED]:
        world.say(address, "1")  # "Do you use the play park?" Yes
    world.say(ENGLISH[0], "1")  # how often: the first option


def test_the_chart_shows_the_answers_and_hides_a_small_group(
    world: World, staff_client: Client
) -> None:
    answered_world(world)
    page = staff_client("cerys").get(RESULTS)
    assert page.status_code == 200
    html = page.text
    assert 'id="invited">7<' in html  # the simulated parent is not counted
    bar = html[html.index('id="bar-uses-yes"') :]
    bar = bar[: bar.index("</div>")]
    # The bar's width is a class (the CSP allows no inline style): p100 is 100%.
    assert "Yes" in bar and "7 (100.0%)" in bar and 'class="bar-fill p100"' in bar
    no = html[html.index('id="bar-uses-no"') :]
    assert "0 (0.0%)" in no[: no.index("</div>")] and 'class="bar-fill p0"' in no
    assert 'id="table-uses"' in html  # the same numbers as a table for screen readers
    # One person answered how often: fewer than 5, never the number.
    often = html[html.index('id="question-how-often"') :]
    often = often[: often.index("</section>")]
    assert "fewer than 5" in often and ">1<" not in often
    # Welsh speakers are one person: their group is hidden whole.
    by_language = html[html.index('id="breakdown-uses-language"') :]
    welsh = by_language[by_language.index("Welsh") :]
    welsh = welsh[: welsh.index("</tr>")]
    assert "fewer than 5" in welsh and "1" not in welsh
    assert 'id="question-ideas-free-text"' in html and "not listed" in html
    assert 'id="export-link"' in html


def test_results_are_refused_outside_the_community(world: World, staff_client: Client) -> None:
    answered_world(world)
    assert staff_client("wendy").get(RESULTS).status_code == 403  # workers see no results
    assert staff_client("colin").get(RESULTS).status_code == 404  # not colin's community
    cerys = staff_client("cerys")
    assert cerys.get("/admin/consultations/nothing-here/results").status_code == 404
    assert staff_client("ada").get(RESULTS).status_code == 200


def test_an_empty_consultation_says_so(world: World, staff_client: Client) -> None:
    world.join(Channel.SMS, ENGLISH[0], "bettws", "2", "1", "2", "3/3/2024", "skip", "2", "1")
    launch(world.container, play_park(), at=START + timedelta(hours=3))
    html = staff_client("cerys").get(RESULTS).text
    assert 'id="results-empty"' in html and "Nobody has been invited yet" in html
    assert 'id="bar-uses-yes"' not in html


def read_csv(response_content: bytes) -> list[dict[str, str]]:
    assert response_content.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(response_content.decode("utf-8-sig"))))


def test_the_export_has_fresh_codes_and_no_simulated_parents(
    world: World, staff_client: Client
) -> None:
    answered_world(world)
    cerys = staff_client("cerys")
    first, second = cerys.get(EXPORT), cerys.get(EXPORT)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="play-park-responses-' in first.headers["content-disposition"]
    rows, again = read_csv(first.content), read_csv(second.content)
    assert len(rows) == 7  # seven real respondents; not the simulated one
    assert list(rows[0])[:5] == ["respondent", "community", "language", "channel", "age_band"]
    assert {"uses", "how-often", "help:shade", "help:fence"} <= set(rows[0])
    assert "ideas" not in rows[0]  # free text is left out unless asked for
    codes = {row["respondent"] for row in rows}
    assert len(codes) == 7 and not codes & {row["respondent"] for row in again}
    with transaction(world.container.sessions) as session:
        contact_codes = set(session.scalars(select(Contact.code)))
        contact_ids = {str(i) for i in session.scalars(select(Contact.id))}
    assert not codes & (contact_codes | contact_ids)
    assert not any(code in first.text for code in contact_codes)
    assert {row["uses"] for row in rows} == {"Yes"}  # the option's English text
    welsh = [row for row in rows if row["language"] == "cy"]
    assert len(welsh) == 1 and welsh[0]["community"] == "bettws" and welsh[0]["channel"] == "sms"
    assert sorted(row["how-often"] for row in rows).count("") == 6  # unanswered is blank
    with transaction(world.container.sessions) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
        assert [(e.actor, e.subject, e.detail["rows"]) for e in entries] == [  # type: ignore[index]
            ("cerys", "consultation:play-park", 7),
            ("cerys", "consultation:play-park", 7),
        ]


def test_the_export_is_refused_to_a_worker_and_to_other_communities(
    world: World, staff_client: Client
) -> None:
    answered_world(world)
    assert staff_client("wendy").get(EXPORT).status_code == 403
    assert staff_client("colin").get(EXPORT).status_code == 404
    assert 'id="export-link"' not in staff_client("wendy").get(RESULTS).text
    with transaction(world.container.sessions) as session:
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all() == []
