"""Staff authentication: argon2 hashes, signed session cookies, CSRF tokens and roles.

Everything here is pure or works on a request; the rows behind it (counting failures, locking,
changing a password) belong to the `StaffAccounts` service the composition root hands in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request, Response

ROLES = ("worker", "coordinator", "admin")
MAX_FAILURES = 5  # wrong passwords in a row before the account is locked
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
SESSION_COOKIE = "elc_admin"
SESSION_MAX_AGE = 12 * 60 * 60  # seconds; a signed-in session lasts a working day

# What each role may do. A worker and a coordinator only in their own communities; an admin
# manages staff and settings and may see every community.
WORKER = frozenset({"consultations", "events", "inbox", "simulator"})
COORDINATOR = WORKER | {"results", "exports", "content", "contacts", "delivery"}
PERMISSIONS: Mapping[str, frozenset[str]] = {
    "worker": WORKER,
    "coordinator": COORDINATOR,
    "admin": COORDINATOR | {"staff", "settings"},
}


def N_(message: str) -> str:
    """Marks a message for the catalogs; translated where it is shown."""
    return message


_hasher = PasswordHasher()
# Verified against when the username is unknown, so both answers take as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2id hash with its own salt and parameters."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; an unknown user (None) costs the same time."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str) -> str | None:
    """Why a new password is refused (an English source string for `_`), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return N_("A password needs at least 10 characters.")
    return None


def session_stamp(password_hash: str) -> str:
    """A short fingerprint of the hash: a new password ends every older session."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class StaffIdentity:
    id: int
    username: str
    role: str
    communities: tuple[str, ...]
    stamp: str  # session_stamp of the current password hash


def allowed(who: StaffIdentity, permission: str, community: str | None = None) -> bool:
    """May this person do that (in that community)? Checked on the server for every route."""
    if permission not in PERMISSIONS.get(who.role, frozenset()):
        return False
    if community is None or who.role == "admin":
        return True
    return community in who.communities


@dataclass(frozen=True, slots=True)
class LoginResult:
    identity: StaffIdentity | None  # None: refused (unknown, wrong or locked: one message)


class StaffAccounts(Protocol):
    """What the dashboard needs from the staff service (bot/staff.py)."""

    def authenticate(self, username: str, password: str) -> LoginResult: ...

    def identity(self, user_id: int) -> StaffIdentity | None: ...

    def change_password(self, user_id: int, old: str, new: str) -> StaffIdentity | None: ...

    def list_staff(self) -> list[StaffIdentity]: ...


# --- the session cookie ---------------------------------------------------------------------


@dataclass(slots=True)
class Session:
    """What the signed cookie carries: a CSRF token always, the user once signed in."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    user_id: int | None = None
    stamp: str | None = None
    lang: str | None = None
    issued: int = field(default_factory=lambda: int(time.time()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "c": self.csrf,
            "u": self.user_id,
            "s": self.stamp,
            "l": self.lang,
            "i": self.issued,
        }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    """HMAC-SHA256-signed JSON; the key is the container's secret key."""

    def __init__(self, secret_key: str, now: Callable[[], float] = time.time) -> None:
        self._key = hashlib.sha256(b"elc-admin-session:" + secret_key.encode()).digest()
        self._now = now

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def dumps(self, session: Session) -> str:
        payload = _b64(json.dumps(session.as_dict(), separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def loads(self, cookie: str | None) -> Session | None:
        if not cookie or "." not in cookie:
            return None
        payload, signature = cookie.rsplit(".", 1)
        # As bytes: compare_digest raises on a str with non-ASCII (a forged cookie's, say).
        if not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            return None
        try:
            data = json.loads(_unb64(payload))
            session = Session(
                csrf=str(data["c"]),
                user_id=int(data["u"]) if data["u"] is not None else None,
                stamp=data["s"],
                lang=data["l"],
                issued=int(data["i"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        if session.user_id is not None and self._now() - session.issued > SESSION_MAX_AGE:
            return None
        return session


class StaffAuth:
    """Reads the session from a request, checks CSRF and permissions, writes the cookie."""

    def __init__(self, accounts: StaffAccounts, secret_key: str, secure: bool) -> None:
        self.accounts = accounts
        self.codec = SessionCodec(secret_key)
        self.secure = secure

    def session(self, request: Request) -> Session:
        """The request's session, or a fresh anonymous one (with a new CSRF token)."""
        found = getattr(request.state, "staff_session", None)
        if not isinstance(found, Session):
            found = self.codec.loads(request.cookies.get(SESSION_COOKIE)) or Session()
            request.state.staff_session = found
        return found

    def current(self, request: Request) -> StaffIdentity | None:
        session = self.session(request)
        if session.user_id is None:
            return None
        who = self.accounts.identity(session.user_id)
        if who is None or not hmac.compare_digest(who.stamp, session.stamp or ""):
            return None  # removed, or the password changed since this session began
        return who

    def check_csrf(self, request: Request, token: str | None) -> None:
        """Refuse (403) a form whose token is missing or not this session's."""
        expected = self.session(request).csrf
        if not token or not hmac.compare_digest(token.encode(), expected.encode()):
            raise HTTPException(status_code=403, detail="CSRF token missing or wrong")

    def save(self, response: Response, session: Session) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            self.codec.dumps(session),
            max_age=SESSION_MAX_AGE,
            path="/admin",
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(
            SESSION_COOKIE, path="/admin", httponly=True, samesite="lax", secure=self.secure
        )

    def require(
        self, permission: str | None = None, community_param: str | None = None
    ) -> Callable[[Request], StaffIdentity]:
        """A FastAPI dependency: the signed-in person, allowed `permission` (in the community
        named by the path parameter `community_param`); otherwise to the login page, 403
        without the permission, or 404 for another community."""

        def dependency(request: Request) -> StaffIdentity:
            who = self.current(request)
            if who is None:
                raise HTTPException(status_code=303, headers={"Location": "/admin/login"})
            if permission is not None and not allowed(who, permission):
                raise HTTPException(status_code=403, detail="Not allowed")
            community = request.path_params.get(community_param) if community_param else None
            if permission is not None and not allowed(who, permission, community):
                # Another community's page: as if it did not exist, like another's things.
                raise HTTPException(status_code=404, detail="Not found")
            return who

        return dependency
