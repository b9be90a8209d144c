"""Signing in to the web pages (CONTRACT.md §13): a one-time code mailed to the address, then a server-side session.

The rules, in one place, for every page:

* **Codes.** 6 digits, good for ``CODE_MINUTES`` (10) and ``CODE_TRIES`` (5) wrong tries; after either a new code is
  needed. Asking again replaces the code. A code signs in once. Only an HMAC of the code (under the service key
  ``sign-in``, with the address) is stored: a million codes are no defence against a plain hash of a stolen table.
* **No account enumeration.** A well-formed address gets the same answer whether or not it belongs to an active
  user, and the same work: a code is made, hashed and stored either way (a code for nobody can never sign in), and
  the mail is handed to the mailer, which sends it without holding up the answer. A wrong code, an expired one, one
  used up and one for an unknown address are refused in the same words.
* **Limits** (in memory, per process, like the API's ``AuthFailureLimit``): per address, at most
  ``ADDRESS_LIMIT`` codes asked for and ``ADDRESS_LIMIT`` * ``CODE_TRIES`` codes tried in ``WINDOW``; per client
  address, at most ``CLIENT_LIMIT`` sign-in requests (codes asked for and tried) in ``WINDOW``.
* **Sessions.** A random token in the cookie, its SHA-256 digest in the store; it ends after ``idle`` without a
  request (30 minutes by default), ``lifetime`` after sign-in (12 hours), at sign-out, and when the user is
  disabled (``AccountStore.disable`` deletes their sessions, and a session is honoured only for an active user).
  A session resolves to the same :class:`~isp_ledger.access.User` a bearer token does, so every permission and
  every access-log entry is the API's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
from collections import deque
from typing import Protocol

from isp_ledger.access import User
from isp_ledger.application.base import Clock
from isp_ledger.domain.errors import InvalidInput, LedgerError
from isp_ledger.storage.accounts import email_key
from isp_ledger.storage.signin import SignInStore
from isp_ledger.users import Email

CODE_MINUTES = 10
CODE_TRIES = 5
WINDOW = dt.timedelta(minutes=15)
ADDRESS_LIMIT = 5  # codes asked for per address in WINDOW (each may be tried CODE_TRIES times)
CLIENT_LIMIT = 30  # sign-in requests per client address in WINDOW
_CODE = re.compile(r"^[0-9]{6}$")
CODE_REFUSED = "That code is not right or has run out. Check it, or ask for a new code"


class Mailer(Protocol):
    def send_code(self, to: str, code: str, minutes: int) -> None:
        """Send the sign-in code to the address, without keeping the caller waiting for the mail server."""
        ...

    def send_invitation(self, to: str, name: str, sign_in_url: str) -> None:
        """Tell someone given access to a plan where to sign in (never with a code)."""
        ...

    def close(self) -> None:
        """Finish sending what was handed over."""
        ...


class TooManyTries(LedgerError):
    """Too many sign-in requests for an address, or from one client, for now."""

    title = "Too many tries"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class _Window:
    """How many times each key was counted in the last ``WINDOW`` (a sliding window, in memory)."""

    MAX_KEYS = 10_000

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.hits: dict[str, deque[dt.datetime]] = {}
        self.lock = threading.Lock()

    def take(self, key: str, now: dt.datetime) -> int:
        """Count one for ``key``; 0 if allowed, else the seconds until it would be."""
        with self.lock:
            hits = self.hits.setdefault(key, deque())
            while hits and hits[0] <= now - WINDOW:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, int((hits[0] + WINDOW - now).total_seconds()) + 1)
            hits.append(now)
            if len(self.hits) > self.MAX_KEYS:
                for old in [k for k, v in self.hits.items() if not v or v[-1] <= now - WINDOW]:
                    del self.hits[old]
            return 0


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignIn:
    def __init__(self, store: SignInStore, secret: bytes, mailer: Mailer, clock: Clock, *,
                 idle: dt.timedelta = dt.timedelta(minutes=30),
                 lifetime: dt.timedelta = dt.timedelta(hours=12)) -> None:
        self.store = store
        self.secret = secret
        self.mailer = mailer
        self.clock = clock
        self.idle = idle
        self.lifetime = lifetime
        self.codes_per_address = _Window(ADDRESS_LIMIT)
        self.tries_per_address = _Window(ADDRESS_LIMIT * CODE_TRIES)
        self.per_client = _Window(CLIENT_LIMIT)

    # ------------------------------------------------------------------ codes

    def send_code(self, email: str, client: str) -> str:
        """Mail a new code to ``email`` if it is an active user's (the same answer either way); the address as
        cleaned, for the next form."""
        address = _clean_email(email)
        key = email_key(address)
        now = self.clock.now()
        self._limit(self.per_client, f"client {client}", now, "from your network")
        self._limit(self.codes_per_address, key, now, "for this email address")
        user = self.store.active_user_by_email(key)
        code = f"{secrets.randbelow(10**6):06d}"
        self.store.put_code(key, user.user_id if user is not None else "", self._hash(key, code), now)
        if user is not None and user.email is not None:
            self.mailer.send_code(user.email, code, CODE_MINUTES)
        return address

    def check_code(self, email: str, code: str, client: str) -> tuple[User, str]:
        """The user and a new session token, if ``code`` is the address's live code."""
        address = _clean_email(email)
        code = "".join(code.split())
        if not _CODE.match(code):
            raise InvalidInput.field("code", "Enter the 6-digit code from the email, such as 123456")
        key = email_key(address)
        now = self.clock.now()
        self._limit(self.per_client, f"client {client}", now, "from your network")
        self._limit(self.tries_per_address, key, now, "for this email address")
        stored = self.store.code(key)
        # A code made for an address nobody has is checked and counted like any other (the same work, the same
        # answer), and refused only once it matches.
        if stored is None or stored.attempts >= CODE_TRIES:
            raise InvalidInput.field("code", CODE_REFUSED)
        if now >= stored.created_at + dt.timedelta(minutes=CODE_MINUTES):
            self.store.drop_code(key)
            raise InvalidInput.field("code", CODE_REFUSED)
        if not hmac.compare_digest(stored.code_hash, self._hash(key, code)):
            if self.store.count_wrong_try(key, stored.code_hash) >= CODE_TRIES:
                self.store.drop_code(key)
            raise InvalidInput.field("code", CODE_REFUSED)
        user = self.store.active_user_by_email(key)
        taken = self.store.take_code(key, stored.code_hash)
        if not taken or not stored.user_id or user is None or user.user_id != stored.user_id:
            raise InvalidInput.field("code", CODE_REFUSED)
        token = secrets.token_urlsafe(32)
        self.store.add_session(token_digest(token), user.user_id, now)
        return User(user.user_id, user.name, user.role, user.setting_urn), token

    def _hash(self, key: str, code: str) -> str:
        return hmac.new(self.secret, f"{key}\n{code}".encode(), hashlib.sha256).hexdigest()

    def _limit(self, window: _Window, key: str, now: dt.datetime, whose: str) -> None:
        wait = window.take(key, now)
        if wait:
            minutes = -(-wait // 60)
            raise TooManyTries(f"There have been too many tries to sign in {whose}. Wait {minutes} minute"
                               f"{'s' if minutes != 1 else ''} and try again", wait)

    # ------------------------------------------------------------------ sessions

    def user_for(self, token: str) -> User | None:
        """The active user whose session this is, if it has not ended; the session is kept alive."""
        digest = token_digest(token)
        session = self.store.session(digest)
        if session is None:
            return None
        now = self.clock.now()
        if now >= session.created_at + self.lifetime or now >= session.last_seen_at + self.idle:
            self.store.end_session(digest)
            return None
        if now - session.last_seen_at >= dt.timedelta(seconds=30):  # not a write on every request
            self.store.touch_session(digest, now)
        record = session.user
        return User(record.user_id, record.name, record.role, record.setting_urn)

    def sign_out(self, token: str) -> None:
        self.store.end_session(token_digest(token))

    def close(self) -> None:
        self.mailer.close()


def _clean_email(email: str) -> str:
    try:
        address = Email(required=True).clean(email.strip())
    except ValueError as e:
        raise InvalidInput.field("email", f"Enter an email address in the right form, such as name@school.org.uk "
                                          f"({e})") from None
    assert address is not None
    return address
