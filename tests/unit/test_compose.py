"""Composing emails: case number and support CC (R02), signature (R24), no leftovers
(R25), customer text as data only, no header injection."""

import pytest

from mailbot.config import Engineer
from mailbot.domain.kinds import MailKind
from mailbot.outbound.compose import (
    TEMPLATES,
    PlaceholderLeft,
    build_message,
    case_subject,
    find_placeholders,
    render,
)

ENG = Engineer(
    "Alex Rivera",
    "alex@contoso.example",
    "Support Engineer",
    "Data Platform",
    "Mon-Fri 9-17",
    "+49 30 1",
    "Sam Okafor",
    "sam@contoso.example",
)
DATA = {
    "case_number": "2611230010001234",
    "customer_name": "Maria",
    "issue": "Pipeline fails",
    "last_sent": "Monday 30 November",
    "solution_sent": "Monday 30 November",
    "asked_on": "Monday 30 November",
    "called": False,
    "call_day": "Monday 30 November",
    "reason": "r",
    "tam_email": None,
    "secret_kind": "password",
    "attempt": 1,
    "draft_subject": "s",
    "closure_date": "Tuesday 29 December 2026",
}
CUSTOMER_KINDS = [k for k in MailKind if not k.value.startswith("remind")]


def test_r02_subject_always_carries_the_case_number():
    assert (
        case_subject(
            "Pipeline fails - TrackingID#2611230010001234", "2611230010001234", MailKind.STRIKE_1
        )
        == "RE: Pipeline fails - TrackingID#2611230010001234"
    )
    assert (
        case_subject("AW: Re: question", "2611230010001234", MailKind.STRIKE_1)
        == "RE: question - TrackingID#2611230010001234"
    )
    assert case_subject("", "2611230010001234", MailKind.STRIKE_1).endswith(
        "TrackingID#2611230010001234"
    )


@pytest.mark.parametrize("kind", CUSTOMER_KINDS)
def test_r24_r25_every_customer_template_has_full_signature_and_no_marker(kind):
    r = render(kind, ENG, DATA, "RE: x - TrackingID#2611230010001234")
    for value in (
        ENG.name,
        ENG.email,
        ENG.title,
        ENG.team,
        ENG.working_hours,
        ENG.phone,
        ENG.manager_name,
        ENG.manager_email,
    ):
        assert value in r.text and value in r.html
    assert find_placeholders(r.text, allow_slots=True) == []
    assert "2611230010001234" in r.text
    assert r.text.startswith("Hello Maria,")


def test_r12_strike3_names_the_closure_date():
    assert "Tuesday 29 December 2026" in render(MailKind.STRIKE_3, ENG, DATA, "s").text


def test_r25_drafts_are_complete_and_markers_are_found():
    for kind in CUSTOMER_KINDS:
        r = render(kind, ENG, DATA, "s")
        assert find_placeholders(r.text) == [] and find_placeholders(r.html) == []
    assert find_placeholders("Hello [Customer Name], see {{ x }}")
    assert find_placeholders("Add the [[ run ID ]] here")  # a slot the engineer typed and forgot
    assert find_placeholders("Hello Maria, all done.") == []


def test_r18_last_quality_response_covers_the_outline():
    """R18: name, greeting, purpose, the request, what was done, reopening, advice, the
    survey, thanks and the full signature with the manager's contact."""
    text = render(MailKind.LQR_RESOLVED, ENG, DATA, "s").text
    for part in (
        "Hello Maria",
        "summarise the case",
        "Pipeline fails",
        "What we did",
        "reopen",
        "For the future",
        "survey",
        "Thank you",
        ENG.manager_email,
    ):
        assert part in text, part
    by_customer = render(MailKind.LQR_RESOLVED_BY_CUSTOMER, ENG, DATA, "s").text
    assert "what you changed" in by_customer and "survey" in by_customer


def test_r25_a_missing_value_is_an_error_not_a_blank():
    data = dict(DATA)
    del data["issue"]
    with pytest.raises(Exception, match="issue"):
        render(MailKind.FIRST_RESPONSE, ENG, data, "s")


def test_r25_a_marker_the_template_left_is_an_error(tmp_path):
    for name in ("_signature.txt.j2", "_signature.html.j2", "layout.html.j2", "_greeting.txt.j2"):
        (tmp_path / name).write_text((TEMPLATES / name).read_text())
    (tmp_path / "strike_1.txt.j2").write_text("Hello [Customer Name], about {{ issue }}.\n")
    with pytest.raises(PlaceholderLeft, match="Customer Name"):
        render(MailKind.STRIKE_1, ENG, DATA, "s", templates=str(tmp_path))


def test_r25_customer_text_is_data_never_template_code_and_is_escaped_in_html():
    """What the customer wrote appears literally, even when it looks like a marker, and
    is never evaluated (the guard is about what the template left, not the customer)."""
    data = DATA | {
        "issue": "{% for x in range(3) %}boom{% endfor %} {{ 6*7 }} [Customer Name] xxx-xxx",
        "customer_name": "<b>Eve</b>",
    }
    r = render(MailKind.FIRST_RESPONSE, ENG, data, "RE: {{ subject }}")
    assert "{% for x in range(3) %}boom{% endfor %} {{ 6*7 }} [Customer Name]" in r.text
    assert " 42 " not in r.text and "boomboom" not in r.text
    r = render(
        MailKind.FIRST_RESPONSE,
        ENG,
        DATA | {"issue": "a <script>alert(1)</script> & b", "customer_name": "<b>Eve</b>"},
        "s",
    )
    assert "<script>" not in r.html and "&lt;script&gt;" in r.html
    assert "&lt;b&gt;Eve" in r.html


def test_headers_cannot_carry_cr_lf():
    r = render(MailKind.STRIKE_1, ENG, DATA, "RE: hello\r\nBcc: victim@evil.example")
    msg = build_message(
        r,
        key="k1",
        kind=MailKind.STRIKE_1,
        case_number="2611230010001234",
        sender=ENG,
        to=["maria@fabrikam.example\r\nBcc: x@evil.example"],
        cc=["support@servicedesk.example"],
        in_reply_to="<a@b>\r\nX: y",
        references=None,
        when=__import__("datetime").datetime(2026, 11, 30, tzinfo=__import__("datetime").UTC),
    )
    raw = msg.as_bytes()
    assert b"\nBcc:" not in raw and b"\nX: y" not in raw
    assert msg["X-Mailbot-Key"] == "k1" and msg["Cc"] == "support@servicedesk.example"


def test_reminders_go_to_the_engineer_and_are_marked_automatic():
    r = render(
        MailKind.REMIND_CALL, ENG, DATA, case_subject("x", "2611230010001234", MailKind.REMIND_CALL)
    )
    msg = build_message(
        r,
        key="k2",
        kind=MailKind.REMIND_CALL,
        case_number="2611230010001234",
        sender=ENG,
        to=[ENG.email],
        cc=[],
        in_reply_to=None,
        references=None,
        when=__import__("datetime").datetime(2026, 11, 30, tzinfo=__import__("datetime").UTC),
    )
    assert msg["Auto-Submitted"] == "auto-generated" and msg["To"] == ENG.email
