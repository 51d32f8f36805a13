"""The dashboard pages for the tip library: browse by age, upload, download, preview a family."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from admin.auth import N_, StaffIdentity
from admin.kit import PageKit
from admin.ports.content import AGE_BANDS, BANDS_BY_KEY, FamilyPreview, UploadOutcome, band_of
from conversations.content.library import TOPICS
from storage.contact_search import normalise_code

MAX_UPLOAD = 1024 * 1024  # 1 MiB, as for every request body
PREVIEW_WEEKS = 8
TOPIC_NAMES = {
    "talk": N_("Talk"),
    "play": N_("Play"),
    "reading": N_("Reading"),
    "feelings": N_("Feelings"),
    "routines": N_("Routines"),
    "health": N_("Health"),
}
WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
MEDIA = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def router(kit: PageKit) -> APIRouter:
    api = APIRouter()
    may = kit.require("content")

    def library_page(
        request: Request,
        who: StaffIdentity,
        band: str = "pregnancy",
        topic: str = "",
        status: int = 200,
        error: str | None = None,
        notice: str | None = None,
        outcome: UploadOutcome | None = None,
    ) -> HTMLResponse:
        service = kit.services.content
        every = service.tips()
        counts = {b.key: 0 for b in AGE_BANDS}
        for tip in every:
            found = band_of(tip.track, tip.week)
            if found:
                counts[found.key] += 1
        chosen = BANDS_BY_KEY.get(band, AGE_BANDS[0])
        shown = [
            tip
            for tip in every
            if band_of(tip.track, tip.week) == chosen and (not topic or tip.topic == topic)
        ]
        return kit.render(
            request,
            "content_library.html",
            N_("Tip library"),
            who=who,
            status=status,
            error=error,
            notice=notice,
            bands=AGE_BANDS,
            counts=counts,
            band=chosen,
            topic=topic if topic in TOPICS else "",
            topics=[(t, TOPIC_NAMES.get(t, t)) for t in TOPICS],
            topic_names=TOPIC_NAMES,
            tips=shown,
            total=len(every),
            languages=service.languages,
            outcome=outcome,
        )

    @api.get("/admin/content", response_class=HTMLResponse)
    def browse(
        request: Request,
        who: Annotated[StaffIdentity, Depends(may)],
        band: str = "pregnancy",
        topic: str = "",
    ) -> Response:
        return library_page(request, who, band, topic)

    @api.post("/admin/content/upload", response_class=HTMLResponse)
    async def upload(
        request: Request,
        who: Annotated[StaffIdentity, Depends(may)],
        file: Annotated[UploadFile | None, File()] = None,
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        if file is None or not file.filename:
            return library_page(request, who, status=400, error=N_("Choose a file to upload."))
        name = file.filename.lower()
        if not name.endswith((".csv", ".xlsx")):
            error = N_("Upload a .csv or .xlsx file, in the format of the downloaded library.")
            return library_page(request, who, status=400, error=error)
        data = await file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            error = N_("The file is larger than 1 MiB; nothing was changed.")
            return library_page(request, who, status=413, error=error)
        outcome = kit.services.content.upload(file.filename, data, who.username)
        if outcome.problem or outcome.errors:
            error = N_("The file has problems; nothing was changed.")
            return library_page(request, who, status=400, error=error, outcome=outcome)
        return library_page(
            request, who, notice=N_("The tip library was replaced."), outcome=outcome
        )

    @api.get("/admin/content/export")
    def export(
        request: Request, who: Annotated[StaffIdentity, Depends(may)], format: str = "csv"
    ) -> Response:
        suffix = ".xlsx" if format == "xlsx" else ".csv"
        data = kit.services.content.export(suffix)
        headers = {
            "Content-Disposition": f'attachment; filename="tips{suffix}"',
            "Cache-Control": "no-store",
        }
        return Response(data, media_type=MEDIA[suffix], headers=headers)

    @api.get("/admin/content/preview", response_class=HTMLResponse)
    def preview(
        request: Request,
        who: Annotated[StaffIdentity, Depends(may)],
        code: str = "",
        birth: str = "",
        due: str = "",
        language: str = "en",
    ) -> Response:
        service = kit.services.content
        family = language if language in service.languages else "en"
        values = {"code": code, "birth": birth, "due": due, "language": family}
        result: FamilyPreview | None = None
        error: str | None = None
        status = 200
        if code.strip():
            wanted = normalise_code(code)
            visible = kit.visible_communities(who)
            if wanted:
                result = service.preview_contact(wanted, visible, who.username, PREVIEW_WEEKS)
            if result is None:
                error, status = N_("No contact with that code in your communities."), 404
        elif birth.strip() or due.strip():
            birth_date, due_date = _date(birth), _date(due)
            typed = (birth_date or not birth.strip()) and (due_date or not due.strip())
            if not typed or (birth_date is None) == (due_date is None):
                error, status = N_("Give either a birth date or a due date, as YYYY-MM-DD."), 400
            else:
                result = service.preview_dates(birth_date, due_date, family, PREVIEW_WEEKS)
        return kit.render(
            request,
            "content_preview.html",
            N_("Preview a family's tips"),
            who=who,
            status=status,
            error=error,
            result=result,
            values=values,
            languages=service.languages,
            weekday_name=(lambda n: WEEKDAYS[n]),
        )

    return api


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None
