"""Every refusal the ledger can give, in one place.

Each error says *why* a change or a read was refused, in words a SENCO can act on. The HTTP layer maps them
to status codes in one table (``api/problems.py``):

=====================  ======  =====================================================================
error                  status  meaning
=====================  ======  =====================================================================
InvalidInput           422     the request itself is wrong (a bad UPN, a number out of range, ...)
RuleViolation          409     the request is well formed, but a rule of the plan refuses it
NotFound               404     no such thing, or the caller may not know it exists
Forbidden              403     the caller's role may not do this
Unauthenticated        401     no valid bearer token
StaleVersion           412     ``If-Match`` named a version the plan is no longer at
IdempotencyMismatch    422     an ``Idempotency-Key`` was reused with a different request
Gone                   410     what was asked for was erased (CONTRACT.md §11) and will not come back
=====================  ======  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass


class LedgerError(Exception):
    """Base class of every refusal. ``detail`` is a sentence for the person who made the request."""

    title = "Request refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; ``field`` is a dotted path such as ``pupil.upn``."""

    field: str
    message: str


class InvalidInput(LedgerError):
    """The input is invalid; nothing was recorded."""

    title = "Invalid input"

    def __init__(self, errors: list[FieldError] | FieldError) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls(FieldError(field, message))


class RuleViolation(LedgerError):
    """A rule of the plan refuses the change; ``rule`` is a stable machine-readable name."""

    title = "Refused by a rule of the plan"

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule


class NotFound(LedgerError):
    title = "Not found"


class Forbidden(LedgerError):
    title = "Not allowed for your role"


class Gone(LedgerError):
    title = "Erased"


class Unauthenticated(LedgerError):
    title = "Authentication required"


class StaleVersion(LedgerError):
    title = "The plan has changed"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"If-Match asked for version {expected} but the plan is at version {actual}; "
            "reload the plan and try again"
        )
        self.expected = expected
        self.actual = actual


class IdempotencyMismatch(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            FieldError(
                "Idempotency-Key",
                "this key was already used for a different request; use a new key for a new request",
            )
        )
