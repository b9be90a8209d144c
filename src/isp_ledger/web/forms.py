"""Showing a refused form again: the GOV.UK error summary at the top, and each field's message beside it.

The domain names the fields it refuses (``InvalidInput``: ``pupil.upn``); a form names its inputs as it likes
(``upn``). ``FormErrors.of`` maps one to the other, so the summary's links go to the input to correct.
A refusal that is not about one field (a rule of the plan, 409; a changed plan, 412; too many tries) is shown in
the summary alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from isp_ledger.application.signin import TooManyTries
from isp_ledger.domain.errors import InvalidInput, LedgerError, RuleViolation, StaleVersion

STATUS = {InvalidInput: 422, RuleViolation: 409, StaleVersion: 412, TooManyTries: 429}


@dataclass
class FormErrors:
    """What is wrong with a form: ``fields`` (input name -> message) and the summary's list, in order."""

    fields: dict[str, str] = field(default_factory=dict)
    summary: list[dict[str, str]] = field(default_factory=list)
    status: int = 422

    @classmethod
    def of(cls, error: LedgerError, names: Mapping[str, str] | None = None) -> FormErrors:
        """The form's errors for a refusal; ``names`` maps the domain's field names to the form's inputs."""
        errors = cls(status=next((s for kind, s in STATUS.items() if isinstance(error, kind)), 400))
        if isinstance(error, InvalidInput):
            for problem in error.errors:
                name = (names or {}).get(problem.field, problem.field)
                errors.add(name, _sentence(problem.message))
        else:
            errors.summary.append({"text": _sentence(error.detail)})
        return errors

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, message)
        self.summary.append({"text": message, "href": f"#{name}"})

    def message(self, name: str) -> dict[str, str] | None:
        """The field's message as GOV.UK Frontend's macros take it (``errorMessage``), or None."""
        text = self.fields.get(name)
        return {"text": text} if text is not None else None

    def __bool__(self) -> bool:
        return bool(self.summary)


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text
