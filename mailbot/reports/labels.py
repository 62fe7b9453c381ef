"""The words a manager reads for each kind of mail and each case state.

The stored kinds (``closure_unresponsive``, ``lqr_resolved``) are identifiers for code
and logs; a summary that printed them would make a manager decode our schema. Every
``MailKind`` has a label here (a test checks it), so a new kind cannot reach a summary
as a bare identifier."""

from __future__ import annotations

from mailbot.domain.kinds import CaseState, MailKind

KIND_LABELS: dict[str, str] = {
    MailKind.FIRST_RESPONSE: "First response",
    MailKind.FOLLOWUP_INFO: "Follow-up: waiting for information",
    MailKind.FOLLOWUP_SOLUTION: "Follow-up after the solution",
    MailKind.STRIKE_1: "Strike 1 (no reply)",
    MailKind.STRIKE_2: "Strike 2 (no reply)",
    MailKind.STRIKE_3: "Strike 3, with the closure date",
    MailKind.CLOSURE_UNRESPONSIVE: "Unresponsive closure",
    MailKind.LQR_RESOLVED: "Closing response: resolved",
    MailKind.LQR_RESOLVED_BY_CUSTOMER: "Closing response: resolved by the customer",
    MailKind.ROTATE_SECRET: "Request to rotate a shared secret",
    MailKind.VOICEMAIL_FOLLOWUP: "Follow-up after a voicemail",
    MailKind.REMIND_CALL: "Reminder: call the customer",
    MailKind.REMIND_TAM: "Reminder: reach the TAM",
    MailKind.REMIND_SECRET: "Reminder: a secret was shared",
    MailKind.REMIND_CLOSURE_CHECKLIST: "Reminder: closure checklist",
    MailKind.REMIND_BLOCKED: "Reminder: an approved draft is held",
    MailKind.REMIND_UNCONFIRMED: "Reminder: a send to confirm",
    MailKind.REMIND_PROPOSE_CALL: "Reminder: propose a call",
    MailKind.REMIND_DISSATISFIED: "Reminder: dissatisfied customer",
    MailKind.REMIND_PROMISE: "Reminder: a promised update",
    MailKind.REMIND_COLLAB_OWNER: "Reminder: confirm closure with the case owner",
    MailKind.REMIND_DRAFT_WAITING: "Reminder: a draft waits for approval",
    MailKind.REMIND_STRANGER: "Reminder: mail from outside the case",
    MailKind.REMIND_TROUBLE: "Reminder: a step keeps failing",
}

STATE_LABELS: dict[str, str] = {
    CaseState.NEW: "New",
    CaseState.ACTIVE: "Researching",
    CaseState.WAITING_INFO: "Waiting for information",
    CaseState.SOLUTION_DELIVERED: "Solution delivered",
    CaseState.RESOLVED: "Resolved, closing",
    CaseState.RESOLVED_BY_CUSTOMER: "Resolved by customer, closing",
    CaseState.CLOSED: "Closed",
}


def kind_label(kind: str) -> str:
    """The manager's words for a kind; an unknown one (a newer version's row read by an
    older one) is spelled out rather than shown as an identifier."""
    return KIND_LABELS.get(kind) or kind.replace("_", " ").capitalize()


def state_label(state: str) -> str:
    return STATE_LABELS.get(state) or state.replace("_", " ").capitalize()
