"""The demo's scripted cases, in our own words. Times are local (Europe/Berlin).

Each step is (day offset from the start Monday, "HH:MM", action, details). The engineer
in the demo also checks the approval folder at fixed times (see runner.ENGINEER_CHECKS)
and approves every draft after filling in the slots a draft leaves for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SUPPORT = "support@servicedesk.example"
ENGINEER = "alex.rivera@contoso.example"


@dataclass(frozen=True)
class Step:
    day: int
    at: str
    action: str  # customer | engineer | auto | other
    case: str | None
    sender: str
    subject: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    reply: bool = True  # threaded as a reply to the case's previous message


A = "2611300010000101"  # responsive customer who confirms the fix
B = "2611300010000202"  # silent after the solution: call, daily follow-ups, strikes, closure
C = "2612020010000303"  # names a date ("I'll get back to you on Friday")
D = "2612080010000404"  # fixes it themselves
E = "2612230010000505"  # sends a password just before the holidays

KATJA = "Katja Brenner <katja.brenner@northwind.example>"
TOMAS = "Tomás Ortega <tomas.ortega@fabrikam.example>"
LEA = "Lea Fischer <lea.fischer@adatum.example>"
OMAR = "Omar Haddad <omar.haddad@tailspin.example>"
RUTH = "Ruth Mensah <ruth.mensah@litware.example>"

STEPS: list[Step] = [
    # Case A: the happy path.
    Step(
        0,
        "09:12",
        "customer",
        A,
        KATJA,
        f"Copy activity slow since upgrade - TrackingID#{A}",
        "Hi,\n\nsince last week's upgrade our copy activity takes three times as long. Run IDs are attached.\n\nKatja",
        reply=False,
    ),
    Step(
        1,
        "11:05",
        "engineer",
        A,
        ENGINEER,
        f"RE: Copy activity slow since upgrade - TrackingID#{A}",
        "Hello Katja,\n\nthe slowdown comes from the new default parallelism. Please set parallel copies to 16 in the sink settings; "
        "this should resolve the throughput drop.\n\nBest regards,\nAlex",
        {"Keywords": "Mailbot: Solution delivered"},
    ),
    Step(
        2,
        "10:40",
        "customer",
        A,
        KATJA,
        f"RE: Copy activity slow since upgrade - TrackingID#{A}",
        "Hello Alex,\n\nthat worked: the copy is back to 20 minutes. You can close the case.\n\nThanks, Katja",
    ),
    # Case B: goes silent after the solution.
    Step(
        0,
        "10:30",
        "customer",
        B,
        TOMAS,
        f"Linked service cannot reach Key Vault - TrackingID#{B}",
        "Hello,\n\nour linked service fails with a 403 when it reads a secret from Key Vault.\n\nTomás",
        reply=False,
    ),
    Step(
        1,
        "10:00",
        "engineer",
        B,
        ENGINEER,
        f"RE: Linked service cannot reach Key Vault - TrackingID#{B}",
        "Hello Tomás,\n\nthe managed identity lacks the Get permission on secrets. Please grant it in the access policy; "
        "the fix is a single role assignment.\n\nBest regards,\nAlex",
        {"Keywords": "Mailbot: Solution delivered"},
    ),
    Step(
        1,
        "10:03",
        "auto",
        B,
        TOMAS,
        f"Automatic reply: RE: Linked service cannot reach Key Vault - TrackingID#{B}",
        "I am out of the office and back on 7 December 2026. For urgent matters contact our service desk.",
        {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    ),
    # Case C: the customer names a date.
    Step(
        2,
        "13:20",
        "customer",
        C,
        LEA,
        f"Trigger did not fire on Sunday - TrackingID#{C}",
        "Hello,\n\nour schedule trigger skipped Sunday's run. Could you look into it?\n\nLea",
        reply=False,
    ),
    Step(
        3,
        "09:40",
        "engineer",
        C,
        ENGINEER,
        f"RE: Trigger did not fire on Sunday - TrackingID#{C}",
        "Hello Lea,\n\ncould you send me the trigger definition and the time zone of the integration runtime?\n\nBest regards,\nAlex",
    ),
    Step(
        3,
        "16:10",
        "customer",
        C,
        LEA,
        f"RE: Trigger did not fire on Sunday - TrackingID#{C}",
        "Hi Alex,\n\nI need to ask our platform team first. I will get back to you on Monday with both.\n\nLea",
    ),
    Step(
        9,
        "10:15",
        "customer",
        C,
        LEA,
        f"RE: Trigger did not fire on Sunday - TrackingID#{C}",
        "Hi Alex,\n\nhere is the definition; the runtime runs in UTC.\n\nLea",
    ),
    Step(
        9,
        "15:00",
        "engineer",
        C,
        ENGINEER,
        f"RE: Trigger did not fire on Sunday - TrackingID#{C}",
        "Hello Lea,\n\nthe root cause is the daylight-saving switch: the trigger's start time fell into the skipped hour. "
        "Please move it to 03:30.\n\nBest regards,\nAlex",
        {"Keywords": "Mailbot: Solution delivered"},
    ),
    Step(
        10,
        "09:30",
        "customer",
        C,
        LEA,
        f"RE: Trigger did not fire on Sunday - TrackingID#{C}",
        "Hi Alex, moved it, and this week's run went through. The issue is resolved, thank you!\n\nLea",
    ),
    # Case D: fixes it themselves.
    Step(
        5,
        "10:05",
        "customer",
        D,
        OMAR,
        f"Data flow debug session will not start - TrackingID#{D}",
        "Hello,\n\nthe debug cluster of our data flow never starts; it times out after ten minutes.\n\nOmar",
        reply=False,
    ),
    Step(
        7,
        "14:30",
        "engineer",
        D,
        ENGINEER,
        f"RE: Data flow debug session will not start - TrackingID#{D}",
        "Hello Omar,\n\ncould you check whether the subnet of the integration runtime has free addresses?\n\nBest regards,\nAlex",
    ),
    Step(
        10,
        "11:20",
        "customer",
        D,
        OMAR,
        f"RE: Data flow debug session will not start - TrackingID#{D}",
        "Hi Alex,\n\nwe found the problem ourselves: a network security rule blocked the cluster. We fixed it on our side.\n\nOmar",
    ),
    # Case E: a password in the mail, the day before the holidays.
    Step(
        23,
        "16:20",
        "customer",
        E,
        RUTH,
        f"Cannot log in to the self-hosted runtime - TrackingID#{E}",
        "Hello,\n\nthe runtime node refuses our service account. In case it helps: password: Winter2026!Litware\n\nRuth",
        reply=False,
    ),
    # Mail without a case number: left alone.
    Step(
        4,
        "12:00",
        "other",
        None,
        "Newsletter <news@cloudweekly.example>",
        "This week in cloud data engineering",
        "Five tips for faster pipelines.",
        {"List-Id": "<weekly.cloudweekly.example>"},
        reply=False,
    ),
    Step(
        5,
        "09:00",
        "customer",
        None,
        "Pat Quinn <pat.quinn@contoso-partner.example>",
        "Question about your training session",
        "Hello Alex, do you still have seats in next month's training?",
        reply=False,
    ),
]
