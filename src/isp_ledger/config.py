"""The service's settings: every ``ISP_LEDGER_*`` variable, validated once at start-up.

A bad value stops start-up with a message naming the variable. So does an ``ISP_LEDGER_*`` variable this
version does not know, because a mistyped name would otherwise be silently ignored.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PREFIX = "ISP_LEDGER_"
DEFAULT_DATABASE_URL = "sqlite:///./isp-ledger.db"
# The largest request body, by default. Today's largest bodies are a session for a big group (tens of KB); the
# largest to come is a plan's whole history to import (CONTRACT.md §12), which is what a year's evidence bundle
# carries: the demo's busiest plans hold about 500 events a school year, 0.5 MB as a JSON bundle. 8 MiB takes
# several years of a plan twice as busy, while a body that could only be an attack is refused unread.
MAX_BODY_BYTES = 8 * 1024 * 1024
# Variables read by the test suite and the benchmark, not by the service.
TOOLING_PREFIXES = ("ISP_LEDGER_TEST_", "ISP_LEDGER_BENCH_")


class ConfigError(ValueError):
    """A setting is wrong; the message names the variable and says what would be right."""


@dataclass(frozen=True)
class DatabaseLocation:
    kind: Literal["sqlite", "postgresql"]
    path: str = ""  # sqlite
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = field(default="", repr=False)  # never shown, in a log or a traceback
    dbname: str = ""
    schema: str = "public"

    @property
    def description(self) -> str:
        if self.kind == "sqlite":
            return f"SQLite file {self.path}"
        return f"PostgreSQL {self.user}@{self.host}:{self.port}/{self.dbname} (schema {self.schema})"


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``: what may be printed of a database URL (or of a message
    quoting one)."""
    return _PASSWORD.sub(r"\1***@", url)


# Up to the last @: a password may hold @ or / (over-redacting a URL is harmless; printing a password is not).
_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s]*:)\S*@", re.IGNORECASE)


def parse_database_url(url: str) -> DatabaseLocation:
    """``sqlite:///PATH`` or ``postgresql://USER:PASSWORD@HOST:PORT/DBNAME[?schema=NAME]``."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if not path:
            raise ValueError("sqlite URLs name a file: sqlite:///./isp-ledger.db or sqlite:////absolute/path.db")
        return DatabaseLocation(kind="sqlite", path=path)
    parts = urlsplit(url)
    if parts.scheme in ("postgresql", "postgres"):
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname or not parts.hostname:
            raise ValueError("PostgreSQL URLs look like postgresql://USER:PASSWORD@HOST:5432/DBNAME")
        query = parse_qs(parts.query)
        unknown = set(query) - {"schema"}
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))}; only ?schema=NAME is understood")
        schema = query.get("schema", ["public"])[0]
        if not schema.replace("_", "").isalnum():
            raise ValueError("schema must be letters, digits and underscores")
        try:
            port = parts.port or 5432
        except ValueError:
            raise ValueError("the port must be a number") from None
        return DatabaseLocation(
            kind="postgresql",
            host=parts.hostname,
            port=port,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            dbname=dbname,
            schema=schema,
        )
    raise ValueError(f"must start sqlite:/// or postgresql:// (got {url.split(':', 1)[0]!r}:...)")


@dataclass(frozen=True)
class SmtpLocation:
    host: str
    port: int
    security: Literal["none", "starttls", "ssl"] = "none"
    user: str = ""
    password: str = field(default="", repr=False)  # never shown, in a log or a traceback


def parse_smtp_url(url: str) -> SmtpLocation:
    """``smtp://[USER:PASSWORD@]HOST[:PORT][?security=starttls|ssl]`` (``smtps://`` is ``?security=ssl``); the
    port is 25 by default, 465 with ssl, 587 with starttls."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"must start smtp:// or smtps:// (got {url.split(':', 1)[0]!r}:...)")
    if not parts.hostname:
        raise ValueError("SMTP URLs look like smtp://USER:PASSWORD@HOST:587?security=starttls")
    query = parse_qs(parts.query)
    unknown = set(query) - {"security"}
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))}; only ?security=starttls|ssl is understood")
    security = query.get("security", ["ssl" if parts.scheme == "smtps" else "none"])[0]
    if security not in ("none", "starttls", "ssl"):
        raise ValueError(f"security must be starttls, ssl or none (got {security!r})")
    try:
        port = parts.port or {"ssl": 465, "starttls": 587}.get(security, 25)
    except ValueError:
        raise ValueError("the port must be a number") from None
    return SmtpLocation(host=parts.hostname, port=port, security=security,  # type: ignore[arg-type]
                        user=unquote(parts.username or ""), password=unquote(parts.password or ""))


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str = Field(DEFAULT_DATABASE_URL, description="where the ledger is stored")
    key_dir: Path = Field(
        Path("./isp-ledger-keys"),
        description="directory for the service's secret keys; keep it outside the database and back it up",
    )
    snapshot_interval: int = Field(100, ge=10, le=100_000, description="events between snapshots of a plan")
    pool_size: int = Field(10, ge=1, le=200, description="database connections per process")
    plan_cache_size: int = Field(2_000, ge=0, le=1_000_000, description="plans kept in memory for writing")
    projections: Literal["in-process", "external"] = Field(
        "in-process", description="run the read models inside `serve`, or leave them to `isp-ledger project`"
    )
    read_your_writes_timeout: float = Field(
        2.0, ge=0, le=30, description="how long a read waits for the read models to show the caller's last write"
    )
    max_body_bytes: int = Field(
        MAX_BODY_BYTES, ge=1_024, le=1_073_741_824,
        description="the largest request body accepted; a larger one is refused (413) before it is read",
    )
    auth_failures_per_minute: int = Field(
        20, ge=1, le=100_000,
        description="failed authentications allowed from one client address at once, and then per minute; past "
                    "that its requests with a bad token are answered 429",
    )
    late_entry_days: int = Field(
        5, ge=1, le=60,
        description="school days after a session's date after which recording it makes it a late entry",
    )
    retention_years: int = Field(
        31, ge=1, le=200,
        description="years after the pupil's date of birth after which a closed plan is erased by `retention run`",
    )
    key_cache_seconds: float = Field(
        300.0, ge=0, le=86_400,
        description="how long a pupil's data key, once unwrapped, is kept in memory",
    )
    smtp_url: str | None = Field(
        None,
        description="where sign-in codes are mailed: smtp://[USER:PASSWORD@]HOST[:PORT][?security=starttls|ssl]; "
                    "unset, each code is written to the service's log instead (one person on one machine)",
    )
    mail_from: str = Field("isp-ledger <isp-ledger@localhost>", min_length=3, max_length=254,
                           description="the From address of the mail the service sends")
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60,
                                      description="a web session ends after this many minutes without a request")
    session_max_hours: int = Field(12, ge=1, le=24 * 7,
                                   description="a web session ends this many hours after sign-in, however busy")

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        parse_database_url(value)
        return value

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: str | None) -> str | None:
        if value is not None:
            parse_smtp_url(value)
        return value

    @field_validator("mail_from")
    @classmethod
    def _check_mail_from(cls, value: str) -> str:
        if "@" not in value or any(c in value for c in "\r\n"):
            raise ValueError("must be an e-mail address, optionally with a name: isp-ledger <ledger@school.org.uk>")
        return value

    @property
    def smtp(self) -> SmtpLocation | None:
        return parse_smtp_url(self.smtp_url) if self.smtp_url is not None else None

    @property
    def database(self) -> DatabaseLocation:
        return parse_database_url(self.database_url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        known = {PREFIX + name.upper(): name for name in cls.model_fields}
        values = {}
        for variable, value in environ.items():
            if not variable.startswith(PREFIX) or variable.startswith(TOOLING_PREFIXES):
                continue
            if variable not in known:
                raise ConfigError(
                    f"{variable} is not a setting of isp-ledger (known: {', '.join(sorted(known))})"
                )
            values[known[variable]] = value
        try:
            return cls.model_validate(values)
        except ValidationError as e:
            first = e.errors()[0]
            name = PREFIX + str(first["loc"][0]).upper()
            message = str(first["msg"]).removeprefix("Value error, ")
            given = values.get(str(first["loc"][0]))
            secret = name in (PREFIX + "DATABASE_URL", PREFIX + "SMTP_URL")
            shown = redact_url(given) if secret and given is not None else given
            raise ConfigError(f"{name}: {redact_url(message)} (got {shown!r})") from None

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """Shown (in a log, a traceback) without the database password."""
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if name in ("database_url", "smtp_url") and value is not None else value

