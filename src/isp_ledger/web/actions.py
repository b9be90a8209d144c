"""The links a page offers on a plan, and the one question pages ask before showing one: "may this person do
this on this plan?" — answered by ``access.py`` through the application (``Plans.authorize``), never by a role
check of a page's own.

``PLAN_PAGES`` is the agreed URL map of the plan's pages (issue 14), each with the ``access.Action`` it needs;
``available(ledger, user, plan)`` lists the ones the signed-in person may follow, for the plan page's list of
actions. Per-item and per-entry links (change an item, correct an entry) use ``item_links``/``entry_links`` and
``may`` in the same way. Showing a link decides nothing: each page checks again when it is opened.
"""

from __future__ import annotations

from dataclasses import dataclass

from isp_ledger import access
from isp_ledger.access import Action, User
from isp_ledger.application import Ledger
from isp_ledger.domain.errors import Forbidden, NotFound
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.sections import LIVE_STATUSES

KINDS = ("barriers", "provisions", "adjustments", "outcomes")
CONTRIBUTION_KINDS = {"parent_view": Action.ADD_PARENT_VIEW, "pupil_voice": Action.ADD_PUPIL_VOICE,
                      "professional_advice": Action.ADD_PROFESSIONAL_ADVICE}


@dataclass(frozen=True)
class PlanPage:
    """One page of a plan: its address (``{id}`` and any other names filled in by ``url``), the action it needs,
    and the words of a link to it."""

    path: str
    action: Action
    text: str

    def url(self, plan_id: object, **names: object) -> str:
        return self.path.format(id=plan_id, **names)


# Every page of a plan, by a short name (read pages, plan forms, sharing, family pages).
PLAN_PAGES: dict[str, PlanPage] = {
    "plan": PlanPage("/plans/{id}", Action.READ, "The plan now"),
    "history": PlanPage("/plans/{id}/history", Action.READ, "History of the plan"),
    "changes": PlanPage("/plans/{id}/changes", Action.READ, "What changed between two dates"),
    "delivery": PlanPage("/plans/{id}/delivery", Action.READ, "Support planned and delivered"),
    "bundle": PlanPage("/plans/{id}/bundle.pdf", Action.READ, "Download the evidence bundle (PDF)"),
    "summary": PlanPage("/plans/{id}/summary", Action.READ, "One-page summary to print"),
    "access_log": PlanPage("/plans/{id}/access-log", Action.READ_ACCESS_LOG, "Who has looked at the plan"),
    "access": PlanPage("/plans/{id}/access", Action.MANAGE_ACCESS, "Who can see the plan"),
    "respond": PlanPage("/plans/{id}/respond", Action.RECORD_ACKNOWLEDGEMENT, "Respond to the plan"),
    "parent_view": PlanPage("/plans/{id}/views/new?kind=parent_view", Action.ADD_PARENT_VIEW,
                            "Add a parent's view"),
    "pupil_voice": PlanPage("/plans/{id}/views/new?kind=pupil_voice", Action.ADD_PUPIL_VOICE,
                            "Add the child's own view"),
    "professional_advice": PlanPage("/plans/{id}/views/new?kind=professional_advice",
                                    Action.ADD_PROFESSIONAL_ADVICE, "Add professional advice"),
    "add_barriers": PlanPage("/plans/{id}/barriers/new", Action.EDIT, "Add a need"),
    "add_provisions": PlanPage("/plans/{id}/provisions/new", Action.EDIT, "Add support (provision)"),
    "add_adjustments": PlanPage("/plans/{id}/adjustments/new", Action.EDIT, "Add an adjustment"),
    "add_outcomes": PlanPage("/plans/{id}/outcomes/new", Action.EDIT, "Add an outcome"),
    "review": PlanPage("/plans/{id}/reviews/new", Action.EDIT, "Record a review"),
    "close": PlanPage("/plans/{id}/close", Action.EDIT, "Close the plan"),
}
# Pages of one item of a section, or one entry of the history.
ITEM_PAGES: dict[str, PlanPage] = {
    "edit": PlanPage("/plans/{id}/{kind}/{item_id}/edit", Action.EDIT, "Change"),
    "end": PlanPage("/plans/{id}/{kind}/{item_id}/end", Action.EDIT, "End"),
    "progress": PlanPage("/plans/{id}/outcomes/{item_id}/progress", Action.RECORD_PROGRESS, "Record progress"),
}
ENTRY_PAGES: dict[str, PlanPage] = {
    "correct": PlanPage("/plans/{id}/entries/{event_id}/correct", Action.CORRECT, "Correct"),
    "void": PlanPage("/plans/{id}/entries/{event_id}/void", Action.CORRECT, "Mark as recorded in error"),
}
# Shown in the plan page's list of actions, in this order (the read pages have their own navigation).
OFFERED = ("respond", "parent_view", "pupil_voice", "professional_advice", "add_barriers", "add_provisions",
           "add_adjustments", "add_outcomes", "review", "access", "access_log", "summary", "bundle", "close")
# Only while the plan is open (a closed plan takes no more changes, CONTRACT.md §4).
WHILE_OPEN = frozenset({"respond", "parent_view", "pupil_voice", "professional_advice", "add_barriers",
                        "add_provisions", "add_adjustments", "add_outcomes", "review", "close"})


@dataclass(frozen=True)
class Link:
    href: str
    text: str


def may(ledger: Ledger, user: User, plan: Plan, action: Action) -> bool:
    """Whether ``user`` may do ``action`` on ``plan`` (as loaded), as ``access.py`` decides it."""
    try:
        ledger.plans.authorize(user, plan, action)
    except (Forbidden, NotFound):
        return False
    return True


def may_open_plans(user: User) -> bool:
    """Whether ``user`` may open plans (for their own setting; an administrator for any), as ``access.py`` decides."""
    try:
        access.require_can_open(user, user.setting_urn or "")
    except Forbidden:
        return False
    return True


def allowed_actions(ledger: Ledger, user: User, plan: Plan) -> frozenset[Action]:
    """Every action ``user`` may do on ``plan``: asked once per action, for a page with many links."""
    return frozenset(action for action in Action if may(ledger, user, plan, action))


def available(ledger: Ledger, user: User, plan: Plan) -> list[Link]:
    """The plan page's list of actions for ``user``: each page of ``OFFERED`` they may open."""
    allowed = allowed_actions(ledger, user, plan)
    return [Link(page.url(plan.id), page.text) for name in OFFERED
            if (page := PLAN_PAGES[name]).action in allowed and (plan.is_open or name not in WHILE_OPEN)]


def item_links(allowed: frozenset[Action], plan: Plan, kind: str, item: dict[str, object]) -> list[Link]:
    """Links to change, end or record progress against one item (``allowed``: from ``allowed_actions``), with
    words that make sense out of context (the item's description follows the verb for screen readers)."""
    if not plan.is_open or item.get("status") not in LIVE_STATUSES:
        return []
    names = ["edit", "end"] + (["progress"] if kind == "outcomes" else [])
    return [Link(page.url(plan.id, kind=kind, item_id=item["id"]), page.text) for name in names
            if (page := ITEM_PAGES[name]).action in allowed]


def entry_links(allowed: frozenset[Action], plan_id: object, event_id: str) -> list[Link]:
    """Links to correct an entry of the history, or mark it recorded in error."""
    return [Link(page.url(plan_id, event_id=event_id), page.text) for page in ENTRY_PAGES.values()
            if page.action in allowed]
