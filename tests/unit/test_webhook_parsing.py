"""Turning provider payloads into InboundMessage: Telegram updates and Twilio SMS forms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.types import ButtonPress, Channel, InboundKind, InboundMessage
from webhooks.telegram import start_payload, update_to_inbound
from webhooks.twilio import form_to_inbound

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
DATE = 1773136800  # 2026-03-10 10:00 UTC

# --- Telegram fixtures, shaped like real Bot API updates ---------------------------------------

BOT = {"id": 7000000001, "is_bot": True, "first_name": "ELC", "username": "elc_test_bot"}
PARENT = {
    "id": 5550001,
    "is_bot": False,
    "first_name": "Rhian",
    "last_name": "Jones",
    "language_code": "cy",
}
PRIVATE = {"id": 5550001, "first_name": "Rhian", "last_name": "Jones", "type": "private"}
GROUP = {
    "id": -4012345678,
    "title": "Bettws parents",
    "type": "group",
    "all_members_are_administrators": True,
}
SUPERGROUP = {"id": -1001234567890, "title": "Feltham families", "type": "supergroup"}
CHANNEL = {"id": -1009876543210, "title": "ELC news", "type": "channel"}
KEYBOARD = {
    "inline_keyboard": [
        [
            {"text": "Cymraeg", "callback_data": "cy"},
            {"text": "English", "callback_data": "en"},
        ],
        [{"text": "Privacy notice", "url": "https://example.org/privacy"}],
    ]
}
PHOTO = [
    {
        "file_id": "AgACAgQAAxkBAAIBZ2fake-small",
        "file_unique_id": "AQADsmall",
        "file_size": 1453,
        "width": 90,
        "height": 67,
    },
    {
        "file_id": "AgACAgQAAxkBAAIBZ2fake-large",
        "file_unique_id": "AQADlarge",
        "file_size": 61233,
        "width": 1280,
        "height": 960,
    },
]
STICKER = {
    "width": 512,
    "height": 512,
    "emoji": "👍",
    "set_name": "HotCherry",
    "is_animated": False,
    "is_video": False,
    "type": "regular",
    "file_id": "CAACAgIAAxkBAAIBfake",
    "file_unique_id": "AgADfake",
    "file_size": 21734,
}
VOICE = {
    "duration": 3,
    "mime_type": "audio/ogg",
    "file_id": "AwACAgQAAxkBAAIBfake",
    "file_unique_id": "AgADvoice",
    "file_size": 9321,
}


def _message(chat: dict[str, Any] = PRIVATE, message_id: int = 42, **fields: Any) -> dict[str, Any]:
    sender = {"sender_chat": chat} if chat["type"] == "channel" else {"from": PARENT}
    return {"message_id": message_id, **sender, "chat": chat, "date": DATE, **fields}


def _update(update_id: int = 100001, **fields: Any) -> dict[str, Any]:
    return {"update_id": update_id, **fields}


def _text(text: str, chat: dict[str, Any] = PRIVATE) -> dict[str, Any]:
    entities = []
    if text.startswith("/"):
        length = len(text.split()[0])
        entities = [{"offset": 0, "length": length, "type": "bot_command"}]
    fields: dict[str, Any] = {"text": text}
    if entities:
        fields["entities"] = entities
    return _update(message=_message(chat, **fields))


def _callback(
    data: str | None,
    chat: dict[str, Any] = PRIVATE,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    query: dict[str, Any] = {
        "id": "4382bfdwdsb323b2d9",
        "from": PARENT,
        "chat_instance": "-7395211380391227841",
    }
    if message is None:
        message = {
            "message_id": 77,
            "from": BOT,
            "chat": chat,
            "date": DATE,
            "text": "Which language would you like?",
            "reply_markup": KEYBOARD,
        }
    query["message"] = message
    if data is not None:
        query["data"] = data
    return _update(callback_query=query)


def _tg(kind: InboundKind, **fields: Any) -> InboundMessage:
    return InboundMessage(
        channel=Channel.TELEGRAM,
        address="5550001",
        provider_id="100001",
        received_at=NOW,
        kind=kind,
        **fields,
    )


PRESS = ButtonPress(
    query_id="4382bfdwdsb323b2d9",
    message_id=77,
    message_text="Which language would you like?",
    label="English",
)
LONGEST = "a" * 64

TELEGRAM_CASES: list[tuple[str, dict[str, Any], InboundMessage | None]] = [
    ("private text", _text("Helo, sut mae?"), _tg(InboundKind.TEXT, text="Helo, sut mae?")),
    ("text kept as sent", _text("  two  spaces  "), _tg(InboundKind.TEXT, text="  two  spaces  ")),
    ("number reply", _text("2"), _tg(InboundKind.TEXT, text="2")),
    ("/start bettws", _text("/start bettws"), _tg(InboundKind.START, payload="bettws")),
    ("/start alone", _text("/start"), _tg(InboundKind.START)),
    (
        "/start@bot payload",
        _text("/start@elc_test_bot feltham"),
        _tg(InboundKind.START, payload="feltham"),
    ),
    ("/start dashes", _text("/start east-belfast"), _tg(InboundKind.START, payload="east-belfast")),
    ("/start 64 chars", _text(f"/start {LONGEST}"), _tg(InboundKind.START, payload=LONGEST)),
    ("/start 65 chars", _text(f"/start {LONGEST}b"), _tg(InboundKind.START)),
    ("/start bad payload", _text("/start bettws!"), _tg(InboundKind.START)),
    ("/start two words", _text("/start bettws extra"), _tg(InboundKind.START)),
    ("/start unicode", _text("/start Caerdydd-ŵ"), _tg(InboundKind.START)),
    ("/starting is text", _text("/starting"), _tg(InboundKind.TEXT, text="/starting")),
    ("other command is text", _text("/help"), _tg(InboundKind.TEXT, text="/help")),
    ("photo", _update(message=_message(photo=PHOTO, caption="Look!")), _tg(InboundKind.MEDIA)),
    ("sticker", _update(message=_message(sticker=STICKER)), _tg(InboundKind.MEDIA)),
    ("voice", _update(message=_message(voice=VOICE)), _tg(InboundKind.MEDIA)),
    (
        "location",
        _update(message=_message(location={"latitude": 51.58, "longitude": -2.99})),
        _tg(InboundKind.MEDIA),
    ),
    (
        "contact",
        _update(
            message=_message(
                contact={"phone_number": "+447700900012", "first_name": "Rhian", "user_id": 5550001}
            )
        ),
        _tg(InboundKind.MEDIA),
    ),
    ("dice", _update(message=_message(dice={"emoji": "🎲", "value": 4})), _tg(InboundKind.MEDIA)),
    (
        "document",
        _update(
            message=_message(
                document={
                    "file_name": "letter.pdf",
                    "mime_type": "application/pdf",
                    "file_id": "BQACAgQAAxkBfake",
                    "file_unique_id": "AgADdoc",
                    "file_size": 12000,
                }
            )
        ),
        _tg(InboundKind.MEDIA),
    ),
    ("button press", _callback("en"), _tg(InboundKind.CHOICE, choice_id="en", press=PRESS)),
    (
        "button not on the keyboard",
        _callback("old-choice"),
        _tg(
            InboundKind.CHOICE,
            choice_id="old-choice",
            press=ButtonPress(
                query_id="4382bfdwdsb323b2d9",
                message_id=77,
                message_text="Which language would you like?",
            ),
        ),
    ),
    (
        "button on an inaccessible message",
        _callback("en", message={"message_id": 77, "chat": PRIVATE, "date": 0}),
        _tg(
            InboundKind.CHOICE,
            choice_id="en",
            press=ButtonPress(query_id="4382bfdwdsb323b2d9", message_id=77),
        ),
    ),
    ("button without data", _callback(None), None),
    ("button with empty data", _callback(""), None),
    ("button in a group", _callback("en", chat=GROUP), None),
    (
        "inline-mode button",
        _update(
            callback_query={
                "id": "4382bfdwdsb323b2da",
                "from": PARENT,
                "inline_message_id": "AAAAAfake",
                "chat_instance": "-7395211380391227841",
                "data": "en",
            }
        ),
        None,
    ),
    (
        "edited message",
        _update(edited_message=_message(text="Helo", edit_date=DATE + 60)),
        None,
    ),
    ("channel post", _update(channel_post=_message(CHANNEL, text="News")), None),
    (
        "edited channel post",
        _update(edited_channel_post=_message(CHANNEL, text="News!", edit_date=DATE + 60)),
        None,
    ),
    ("group message", _text("/start bettws", chat=GROUP), None),
    ("supergroup message", _text("Helo", chat=SUPERGROUP), None),
    ("group photo", _update(message=_message(GROUP, photo=PHOTO)), None),
    (
        "blocked the bot",
        _update(
            my_chat_member={
                "chat": PRIVATE,
                "from": PARENT,
                "date": DATE,
                "old_chat_member": {"user": BOT, "status": "member"},
                "new_chat_member": {"user": BOT, "status": "kicked", "until_date": 0},
            }
        ),
        None,
    ),
    (
        "inline query",
        _update(inline_query={"id": "8812", "from": PARENT, "query": "tips", "offset": ""}),
        None,
    ),
    (
        "poll answer",
        _update(
            poll_answer={
                "poll_id": "5",
                "user": PARENT,
                "option_ids": [0],
                "option_persistent_ids": ["p1"],
            }
        ),
        None,
    ),
    (
        "private service message",
        _update(message=_message(new_chat_title="Renamed")),
        None,
    ),
    ("empty update", _update(), None),
    ("unknown future update type", _update(some_future_update={"id": 1}), None),
]


@pytest.mark.parametrize(
    ("data", "expected"),
    [pytest.param(data, expected, id=name) for name, data, expected in TELEGRAM_CASES],
)
def test_telegram_update(data: dict[str, Any], expected: InboundMessage | None) -> None:
    assert update_to_inbound(data, NOW) == expected


def test_telegram_update_is_not_modified() -> None:
    data = _callback("en")
    before = repr(data)
    update_to_inbound(data, NOW)
    assert repr(data) == before


def test_a_deprecated_poll_field_is_still_media() -> None:
    """PTB warns about a quiz poll's `correct_option_id`; that must not fail the update."""
    poll = {
        "id": "5",
        "question": "Favourite park?",
        "options": [
            {"persistent_id": "p1", "text": "Bettws", "voter_count": 0},
            {"persistent_id": "p2", "text": "Tredegar", "voter_count": 0},
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "quiz",
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
        "correct_option_id": 0,
    }
    assert update_to_inbound(_update(message=_message(poll=poll)), NOW) == _tg(InboundKind.MEDIA)


MALFORMED: list[tuple[str, dict[str, Any]]] = [
    ("no update_id", {"message": _message(text="Helo")}),
    ("string update_id", {"update_id": "100001", "message": _message(text="Helo")}),
    ("boolean update_id", {"update_id": True}),
    ("float update_id", {"update_id": 1.5}),
    ("message is empty", _update(message={})),
    ("message is a list", _update(message=[])),
    ("message is a number", _update(message=7)),
    ("message without chat", _update(message={"message_id": 1, "date": DATE, "text": "Hi"})),
    ("chat id not a number", _update(message=_message({**PRIVATE, "id": "abc"}, text="Hi"))),
    ("text not a string", _update(message=_message(text=5))),
    ("date out of range", _update(message={**_message(text="Hi"), "date": 10**20})),
    ("photo is garbage", _update(message=_message(photo=[{}]))),
    ("callback data not a string", _callback(["en"])),  # type: ignore[arg-type]
    ("callback without id", _update(callback_query={"message": _message(text="Hi"), "data": "x"})),
]


@pytest.mark.parametrize(("data"), [pytest.param(d, id=name) for name, d in MALFORMED])
def test_malformed_telegram_update_is_a_value_error(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        update_to_inbound(data, NOW)


def test_non_object_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        update_to_inbound([], NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", (True, None)),
        ("/start ", (True, None)),
        ("/start\nbettws", (True, "bettws")),
        ("/start@elc_test_bot", (True, None)),
        ("/start@elc_test_bot margate", (True, "margate")),
        ("/start bettws extra", (True, None)),
        ("/start 🙂", (True, None)),
        ("/Start bettws", (False, None)),
        ("/startbettws", (False, None)),
        ("start bettws", (False, None)),
    ],
)
def test_start_payload(text: str, expected: tuple[bool, str | None]) -> None:
    assert start_payload(text) == expected


# --- properties ---------------------------------------------------------------------------------

KEYS = st.one_of(
    st.sampled_from(
        [
            "update_id",
            "message",
            "edited_message",
            "callback_query",
            "channel_post",
            "message_id",
            "date",
            "chat",
            "id",
            "type",
            "text",
            "from",
            "data",
            "photo",
            "sticker",
            "reply_markup",
            "inline_keyboard",
            "callback_data",
            "is_bot",
            "first_name",
            "chat_instance",
            "poll",
            "location",
        ]
    ),
    st.text(max_size=8),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from(["private", "group", "channel", "/start bettws", "en", ""]),
    st.text(max_size=20),
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=6)
    ),
    max_leaves=40,
)


@given(st.dictionaries(KEYS, JSON, max_size=6))
def test_update_to_inbound_only_returns_or_raises_value_error(data: dict[str, Any]) -> None:
    try:
        result = update_to_inbound(data, NOW)
    except ValueError:
        return
    assert result is None or isinstance(result, InboundMessage)


@given(
    st.integers(min_value=0, max_value=2**53),
    st.dictionaries(KEYS, JSON, max_size=6),
    st.dictionaries(KEYS, JSON, max_size=4),
)
def test_nearly_valid_updates_never_raise_anything_but_value_error(
    update_id: int, message: dict[str, Any], chat: dict[str, Any]
) -> None:
    data = {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": DATE,
            **message,
            "chat": {"id": 1, "type": "private", **chat},
        },
    }
    try:
        result = update_to_inbound(data, NOW)
    except ValueError:
        return
    assert result is None or result.provider_id == str(update_id)


@given(st.text())
def test_any_private_text_is_text_or_start(text: str) -> None:
    result = update_to_inbound(_update(message=_message(text=text)), NOW)
    assert result is not None
    if text.strip().startswith("/start"):
        assert result.kind in (InboundKind.START, InboundKind.TEXT)
    else:
        assert result.kind is InboundKind.TEXT
    if result.kind is InboundKind.TEXT:
        assert result.text == text


@given(st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True))
def test_every_well_formed_payload_is_kept(payload: str) -> None:
    result = update_to_inbound(_text(f"/start {payload}"), NOW)
    assert result == _tg(InboundKind.START, payload=payload)


# --- Twilio -------------------------------------------------------------------------------------

SID = "SM0123456789abcdef0123456789abcdef"


def _form(**fields: str) -> dict[str, str]:
    """An incoming-SMS webhook form as Twilio posts it."""
    form = {
        "ToCountry": "GB",
        "ToState": "",
        "SmsMessageSid": SID,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": SID,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": "Helo",
        "FromCountry": "GB",
        "To": "+447700900001",
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": SID,
        "AccountSid": "AC00000000000000000000000000000000",
        "From": "+447700900101",
        "ApiVersion": "2010-04-01",
    }
    form.update(fields)
    return form


def _sms(kind: InboundKind = InboundKind.TEXT, text: str = "Helo") -> InboundMessage:
    return InboundMessage(
        channel=Channel.SMS,
        address="+447700900101",
        provider_id=SID,
        received_at=NOW,
        kind=kind,
        text=text,
    )


MMS = {
    "NumMedia": "1",
    "MediaContentType0": "image/jpeg",
    "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0",
}

TWILIO_CASES: list[tuple[str, dict[str, str], InboundMessage]] = [
    ("text", _form(), _sms()),
    ("text kept as sent", _form(Body=" bettws  hi "), _sms(text=" bettws  hi ")),
    ("empty body", _form(Body=""), _sms(text="")),
    ("no body field", {k: v for k, v in _form().items() if k != "Body"}, _sms(text="")),
    ("picture only", _form(Body="", **MMS), _sms(InboundKind.MEDIA, text="")),
    ("picture, blank body", _form(Body="  ", **MMS), _sms(InboundKind.MEDIA, text="  ")),
    ("picture with words", _form(Body="Our baby!", **MMS), _sms(text="Our baby!")),
    ("garbled NumMedia", _form(Body="", NumMedia="lots"), _sms(text="")),
    ("opt-out STOP", _form(Body="Unsubscribe", OptOutType="STOP"), _sms(text="STOP")),
    ("opt-out STOP Welsh", _form(Body="Dad-danysgrifio", OptOutType="STOP"), _sms(text="STOP")),
    ("opt-in START", _form(Body="unstop", OptOutType="START"), _sms(text="START")),
    ("help HELP", _form(Body="info", OptOutType="HELP"), _sms(text="HELP")),
    ("opt-out lower case", _form(Body="cancel", OptOutType="stop"), _sms(text="STOP")),
    ("opt-out with media", _form(Body="", OptOutType="STOP", **MMS), _sms(text="STOP")),
    ("unknown OptOutType", _form(Body="hmm", OptOutType="MAYBE"), _sms(text="hmm")),
]


@pytest.mark.parametrize(
    ("form", "expected"),
    [pytest.param(form, expected, id=name) for name, form, expected in TWILIO_CASES],
)
def test_twilio_form(form: dict[str, str], expected: InboundMessage) -> None:
    assert form_to_inbound(form, NOW) == expected


@pytest.mark.parametrize(
    "form",
    [
        pytest.param({k: v for k, v in _form().items() if k != "MessageSid"}, id="no MessageSid"),
        pytest.param(_form(MessageSid=""), id="empty MessageSid"),
        pytest.param({k: v for k, v in _form().items() if k != "From"}, id="no From"),
        pytest.param(_form(From="  "), id="blank From"),
        pytest.param({}, id="empty form"),
    ],
)
def test_twilio_form_without_sid_or_sender_is_a_value_error(form: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        form_to_inbound(form, NOW)


FORM_KEYS = st.one_of(
    st.sampled_from(["MessageSid", "From", "Body", "NumMedia", "OptOutType", "To", "SmsSid"]),
    st.text(max_size=10),
)
FORM_VALUES = st.one_of(
    st.sampled_from(["", " ", "0", "1", "-1", "STOP", "start", "Help", "+447700900102"]),
    st.text(max_size=30),
)


@given(st.dictionaries(FORM_KEYS, FORM_VALUES, max_size=8))
def test_form_to_inbound_only_returns_or_raises_value_error(form: dict[str, str]) -> None:
    try:
        result = form_to_inbound(form, NOW)
    except ValueError:
        assert not (form.get("MessageSid", "").strip() and form.get("From", "").strip())
        return
    assert isinstance(result, InboundMessage)
    assert result.channel is Channel.SMS
    assert result.provider_id and result.address
    if form.get("OptOutType", "").strip().upper() in ("STOP", "START", "HELP"):
        assert result.text == form["OptOutType"].strip().upper()
