"""The states of an assessment and who may move it from one to the next (the official procedure).

not_started → collecting (the commune sends its first form) → submitted (the collaborator sends
it for review) → under_review → returned (back to the commune, with comments) or approved →
posted (on a list posted for public comment) → recognised / not_recognised (the list is final).
A reviewer may reopen an approved (or listed) assessment: it goes back to under_review, logged.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.core.i18n import N_

STATES: tuple[str, ...] = ("not_started", "collecting", "submitted", "under_review", "returned", "approved",
                           "posted", "recognised", "not_recognised")

STATE_LABELS: dict[str, str] = {
    "not_started": N_("Not started"),
    "collecting": N_("Collecting"),
    "submitted": N_("Submitted"),
    "under_review": N_("Under review"),
    "returned": N_("Returned"),
    "approved": N_("Approved"),
    "posted": N_("Posted"),
    "recognised": N_("Recognised"),
    "not_recognised": N_("Not recognised"),
}

EDITABLE_BY_REVIEWER = frozenset({"submitted", "under_review"})
"""States in which a reviewer may correct values (anything later needs a reopen first)."""

LISTABLE = frozenset({"approved", "posted", "recognised", "not_recognised"})
"""States of an assessment that a certification list takes (approved, or already on a list)."""

FROZEN = LISTABLE
"""Approved means frozen: the approved score is the truth; new data waits aside until a reopen."""

REVIEWERS = frozenset({"reviewer", "admin"})
COLLABORATORS = frozenset({"collaborator", "admin"})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    needs_comment: bool = False


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("send", frozenset({"not_started", "collecting", "returned"}), "submitted", COLLABORATORS),
    Transition("start_review", frozenset({"submitted"}), "under_review", REVIEWERS),
    Transition("return", frozenset({"submitted", "under_review"}), "returned", REVIEWERS, needs_comment=True),
    Transition("approve", frozenset({"submitted", "under_review"}), "approved", REVIEWERS),
    Transition("reopen", LISTABLE, "under_review", REVIEWERS, needs_comment=True),
)}

ACTION_LABELS: dict[str, str] = {
    "send": N_("Send for review"),
    "send_incomplete": N_("Sent for review although incomplete"),
    "start_review": N_("Start the review"),
    "return": N_("Return to the commune"),
    "approve": N_("Approve"),
    "reopen": N_("Reopen"),
    "correct": N_("Correction"),
    "rescore": N_("Re-score"),
}


def allowed_actions(state: str, role: str) -> list[str]:
    """The buttons to show: actions valid from `state` for someone with `role`."""
    return [t.action for t in TRANSITIONS.values() if state in t.sources and role in t.roles]
