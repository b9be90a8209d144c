"""Every kind of summary, for a realistic plan, read as a parent would read it (CONTRACT.md §6, issue 11 problem 8).

``realistic_history`` writes a year of one child's plan through the domain's own commands: every event type,
corrections of each kind of field (a date, a number, a code, someone's words, a list, a value added and one
removed), sessions delivered and missed, and entries typed in late. ``test_print_every_summary`` prints them all
(run with ``-s`` to read them); the other tests hold the rules every sentence keeps.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import pytest

from isp_ledger.domain import wording
from isp_ledger.domain.corrections import correctable_fields
from isp_ledger.domain.events import EVENT_CLASSES, PlanEvent
from isp_ledger.domain.grants import Grantee
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.sections import SECTIONS
from isp_ledger.domain.stamp import Actor, Stamp
from isp_ledger.domain.summaries import summarise
from tests import samples

SENCO = Actor("u-senco", "Sam Senco", "senco")
TEACHER = Actor("u-teacher", "Tess Teacher", "teacher")
PARENT = Actor("u-parent", "Pat Okafor", "parent")

PHONICS = "Speech and language therapy programme set by the NHS therapist, delivered by a trained teaching assistant"
LONG_VIEW = ("She loves books at bedtime but gets upset when she cannot read the words on the page, and she has "
             "started to say that she is not clever like the others in her class. We read together most nights and "
             "she is proud when she finishes a book on her own; what helps most is when she knows what is coming "
             "next in the day, and when someone sits with her to start a piece of writing.")


def at(day: str, hour: int = 15, minute: int = 0, who: Actor = SENCO) -> Stamp:
    """A command received at ``hour:minute`` UTC on ``day``."""
    moment = dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=dt.UTC)
    return Stamp(who, moment)


@dataclass
class History:
    events: list[PlanEvent]
    summaries: list[str]
    texts: list[str]  # every free text written into the plan, to tell a shortened text from a cut word

    def of(self, event_type: str) -> list[str]:
        return [s for e, s in zip(self.events, self.summaries, strict=True) if type(e).__name__ == event_type]


def realistic_history() -> History:
    """A Targeted plan from September 2026 to July 2027, every kind of entry in it."""
    texts: list[str] = [LONG_VIEW, PHONICS, "Still worried about lunchtimes", "Put on the wrong plan"]
    pupil = samples.pupil(given_name="Zoë", family_name="Okafor-Brontë", date_of_birth="2018-05-14")
    plan = Plan.open(at("2026-09-10", 9), pupil=pupil, setting_urn="123456", tier="targeted",
                     agreed_on="2026-09-03", next_review_due="2026-11-26")  # typed in a week after the meeting
    opened = plan.records["plan"][0]["event_id"]
    by = at("2026-09-10", 9, 30)
    reading = plan.add_item(by, "barriers", samples.barrier(), agreed_on="2026-09-03")
    social = plan.add_item(by, "barriers", samples.barrier(
        description="Finds unstructured times (break, lunch) hard; conflicts with peers most weeks",
        area_of_need="semh", need_type="SEMH", evidence="Behaviour log, summer term 2026: 14 incidents at lunch"),
        agreed_on="2026-09-03")
    therapy = plan.add_item(by, "provisions", samples.provision(
        [reading], description=PHONICS, delivered_by="trained teaching assistant", group_size=1,
        sessions_per_week=2, minutes_per_session=20, starts_on="2026-09-07"), agreed_on="2026-09-03")
    lego = plan.add_item(by, "provisions", samples.provision(
        [social], description="Social skills group (LEGO-based therapy)", delivered_by="learning mentor",
        group_size=3, sessions_per_week=1.5, minutes_per_session=45, location="in_class", starts_on="2026-09-07",
        ends_on="2027-07-16", evidence_basis=None), agreed_on="2026-09-03")
    seat = plan.add_item(by, "adjustments", samples.adjustment([reading]), agreed_on="2026-09-03")
    reads = plan.add_item(by, "outcomes", samples.outcome([reading]), agreed_on="2026-09-03")
    plays = plan.add_item(by, "outcomes", samples.outcome(
        [social], description="Plays a structured game at lunch without adult help", success_criteria="",
        baseline=None, target=None, target_date="2027-07-16"), agreed_on="2026-09-03")
    plan.record_contribution(at("2026-09-11", 12), {"kind": "parent_view", "text": LONG_VIEW}, agreed_on="2026-09-03")
    plan.record_acknowledgement(at("2026-09-14", 8, who=PARENT), {"version": plan.version, "response": "agree",
                                                                  "comment": "Happy with the plan; keep us posted."})

    def session(day: str, provision: str, typed: str | None = None, **fields: Any) -> str:
        session_id = f"s-{day}-{provision[:4]}"
        plan.record_session(at(typed or day, 15, 30, TEACHER), provision, {"date": day, **fields}, session_id)
        return str(plan.facts["sessions"][-1]["event_id"])

    session("2026-09-15", therapy, status="delivered", minutes=20, delivered_by="teaching assistant (Mrs O'Neill)")
    short = session("2026-09-17", therapy, status="delivered", minutes=25, note="Cut short for the fire alarm test")
    session("2026-09-18", lego, status="delivered", delivered_by="Mr Daniels")
    absent = session("2026-09-22", therapy, "2026-10-13", status="missed", missed_reason="pupil_absent")  # late
    session("2026-09-23", lego, status="missed", missed_reason="staff_absent", note="TA covering a class")
    session("2026-09-24", lego, status="missed", missed_reason="timetable_clash")
    session("2026-09-29", therapy, status="missed", missed_reason="school_closed")
    session("2026-09-30", lego, status="missed", missed_reason="pupil_declined")
    session("2026-10-01", lego, status="missed", missed_reason="other", note="With the school nurse")
    wrong = session("2026-10-02", lego, status="delivered")

    by = at("2026-10-05", 10)
    plan.amend_item(by, "provisions", therapy, {"sessions_per_week": 3, "minutes_per_session": 30},
                    reason="Three longer sessions agreed with the therapist")
    plan.amend_item(by, "barriers", reading, {"evidence": "Phonics screening check, June 2026: 22/40; teacher "
                                              "assessment, September 2026: 26/40"}, reason="September assessment")
    plan.amend_item(by, "adjustments", seat, {"category": "routines"})
    plan.amend_item(by, "outcomes", reads, {"target": "16/20"}, reason="A realistic first step")
    plan.amend_item(by, "provisions", lego, {"ends_on": None, "barrier_ids": [social, reading],
                                             "location": "withdrawal"})
    plan.pause_item(at("2026-10-06"), "provisions", therapy, reason="TA on leave", until="2026-10-16",
                    agreed_on="2026-10-06")
    plan.resume_item(at("2026-10-12"), "provisions", therapy, agreed_on="2026-10-12", reason="TA back early")
    plan.pause_item(at("2026-10-13"), "provisions", lego, reason="Exam fortnight", agreed_on="2026-10-13")
    plan.record_progress(at("2026-10-14", 16, who=TEACHER), reads, {
        "measured_on": "2026-10-14", "value": 12, "note": "12 of 20 unseen words", "source": "termly check"})
    plan.record_progress(at("2026-10-15", 16, who=TEACHER), plays, {
        "measured_on": "2026-10-15", "value": None, "note": "Joined in twice this week", "source": "lunch staff"})
    plan.record_contribution(at("2026-10-15", 12, who=TEACHER), {"kind": "pupil_voice",
                                                                  "text": "I like the Lego group best."})
    plan.record_contribution(at("2026-10-16"), {"kind": "professional_advice", "profession": "educational psychologist",
                                                "text": "Pre-teach key vocabulary; keep instructions short"})
    plan.change_tier(at("2026-10-19"), tier="targeted_plus", ehcp_reference=None,
                     reason="Educational psychologist now involved")
    review = plan.hold_review(at("2026-11-06"), {
        "held_on": "2026-11-05", "attendees": [{"role": "SENCO", "name": "Sam Senco"},
                                               {"role": "parent", "name": "Pat Okafor"},
                                               {"role": "class teacher", "name": "Tess Teacher"}],
        "parent_views": "Pleased with reading at home.", "pupil_views": "",
        "summary": "Good progress in phonics; the Lego group moves to lunchtimes and the next review is in "
                   "February", "next_review_due": "2027-02-05"})
    plan.record_acknowledgement(at("2026-11-09", 8, who=PARENT), {
        "version": plan.version, "response": "disagree", "comment": "We never agreed to fewer sessions"})
    plan.record_acknowledgement(at("2026-11-10", 8, who=PARENT), {"version": 3, "response": "seen"})
    plan.record_acknowledgement(at("2026-11-11", 9), {  # a phone call, recorded by the SENCO
        "version": plan.version, "response": "disagree", "given_by": "Sam Okafor", "method": "phone",
        "comment": "Still worried about lunchtimes"})
    stray = session("2026-11-03", therapy, status="delivered")  # logged for the wrong pupil
    plan.record_contribution(at("2026-11-11", 12), {"kind": "parent_view", "text": "Put on the wrong plan"})
    misplaced = plan.facts["contributions"][-1]["event_id"]

    by = at("2026-11-12", 9)
    review_event = plan.facts["reviews"][0]["event_id"]
    progress_event = plan.facts["progress"][0]["event_id"]
    view_event = plan.facts["contributions"][0]["event_id"]
    disagree_event = plan.facts["acknowledgements"][1]["event_id"]
    therapy_agreed = plan.records[therapy][0]["event_id"]
    lego_amended = next(r for r in plan.records[lego] if r["type"] == "ProvisionAmended")["event_id"]
    for event_id, changes, why in (
        (absent, {"missed_reason": "timetable_clash", "note": "Year 1 trip"},
         "Recorded as absent, but she was on the Year 1 trip that day"),
        (short, {"minutes": 15, "note": None}, "The session was 15 minutes"),
        (wrong, {"status": "missed", "missed_reason": "pupil_absent"}, "She was absent; logged by mistake"),
        (wrong, {"date": "2026-10-01", "provision_id": therapy}, "Logged against the wrong day and group"),
        (therapy_agreed, {"minutes_per_session": 25, "starts_on": "2026-09-14", "location": "in_class",
                          "agreed_on": "2026-09-04"}, "Typed wrongly from the meeting notes"),
        (lego_amended, {"barrier_ids": [social]}, "Only the social barrier"),
        (opened, {"pupil.date_of_birth": "2018-04-15", "pupil.given_name": "Zoe"},
         "Day and month swapped; checked against the admissions form"),
        (review_event, {"attendees": [{"role": "parent", "name": "Pat Okafor"}, {"role": "SENCO", "name": "Sam Senco"}],
                        "next_review_due": "2027-02-12"}, "Attendance list corrected"),
        (progress_event, {"value": 13, "measured_on": "2026-10-13"}, "Mistyped score"),
        (view_event, {"text": "She loves books at bedtime."}, "Shortened at the parent's request"),
        (disagree_event, {"comment": "We never agreed to fewer sessions a week"}, "Typo in the parent's comment"),
    ):
        plan.correct(by, event_id=event_id, reason=why, changes=changes)
    plan.void(by, event_id=stray, reason="Logged for another pupil in the group")
    plan.void(by, event_id=misplaced, reason="Another child's parent's view")
    texts += ["We never agreed to fewer sessions a week", "Good progress in phonics"]
    plan.end_item(at("2026-12-01"), "outcomes", reads, reason="17 of 20 at the half-term check", outcome="achieved")
    plan.end_item(at("2026-12-01"), "barriers", social, reason="No incidents for five weeks")
    plan.end_item(at("2026-12-01"), "adjustments", seat, reason="No longer needed")
    plan.end_item(at("2026-12-01"), "provisions", lego, reason="Lunch club now covers it")
    # Access to the plan (issue 12): the parent's for the move, and a professional's for the last weeks, revoked.
    parent = Grantee("u-parent", "Pat Okafor", "parent", active=True)
    plan.grant_access(at("2027-07-01", 16), {"user_id": parent.user_id, "relationship": "parent"}, parent,
                      reason="Mum; to take the plan to the new school")
    therapist = Grantee("u-salt", "Priya Nair", "professional", active=True)
    salt = plan.grant_access(at("2027-07-02", 9), {"user_id": therapist.user_id, "relationship": "professional",
                                                   "expires_on": "2027-07-20"}, therapist)
    plan.revoke_access(at("2027-07-05", 9), salt, reason="Assessment finished early")
    plan.close(at("2027-07-21"), reason="Left for a specialist setting")
    # Erasure and legal holds (issue 13): a hold while a claim was threatened, lifted, then the retention run.
    admin = Actor("u-admin", "Ada Admin", "admin")
    plan.set_legal_hold(at("2027-09-01", who=admin), reason="Claim threatened by letter of 28 August 2027")
    plan.lift_legal_hold(at("2028-03-01", who=admin), reason="Claim withdrawn")
    plan.erase(at("2049-05-15", who=admin), reason="Retention period ended (date of birth + 31 years)")
    assert review
    events = cast(list[PlanEvent], plan.collect_events())
    summaries: list[str] = []
    before: Plan | None = None
    for event in events:
        summaries.append(summarise(event, before))
        before = cast(Plan, event.mutate(before))
    return History(events, summaries, texts)


@pytest.fixture(scope="module")
def history() -> History:
    return realistic_history()


def test_print_every_summary(history: History) -> None:
    """Prints every summary (``-s`` to read them), and holds that the history has every kind of entry."""
    for event, summary in zip(history.events, history.summaries, strict=True):
        print(f"{event.originator_version:>3} {type(event).__name__:<24} {summary}")
    assert {type(e).__name__ for e in history.events} == {cls.__name__ for cls in EVENT_CLASSES}


# ---------------------------------------------------------------------------------------------- the rules

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
SNAKE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")
CAMEL = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b")  # an event's type, e.g. ProvisionAgreed
DOUBLED = re.compile(r"\b((?:\w+\s+){0,2}\w+)\s+\1\b", re.IGNORECASE)  # "the the", "a TA a TA"
QUOTED = re.compile(r"“[^”]*”")
PLURAL_WAS = re.compile(r"\b(?:reviews|responses|entries|barriers|views|sessions|provisions|outcomes|adjustments)"
                        r" was\b", re.IGNORECASE)
WHO_DID_IT = re.compile(r"\bby (?:a|an|the)\b")
ENDS = (".", ".”", "?”", "!”")


def broken_rules(summary: str, texts: list[str]) -> Iterator[str]:
    if "\n" in summary or summary != summary.strip():
        yield "not one line"
    if ISO_DATE.search(summary):
        yield f"an ISO date: {ISO_DATE.search(summary)}"
    for name in (*SNAKE.findall(summary), *CAMEL.findall(summary)):
        yield f"an internal name: {name}"
    if re.search(r"\bversion \d", summary, re.IGNORECASE):
        yield "a version number"
    for marker in ("→", "not set", "None", "True", "False", "{", "}"):
        if marker in summary:
            yield f"{marker!r}"
    if not summary.endswith(ENDS):
        yield "no full stop at the end"
    if not summary[:1].isupper():
        yield "no capital at the start"
    if DOUBLED.search(summary):
        yield f"a doubled word: {DOUBLED.search(summary)}"
    if len(WHO_DID_IT.findall(QUOTED.sub("", summary))) > 1:
        yield "says twice who did it"
    if PLURAL_WAS.search(QUOTED.sub("", summary)):
        yield f"a plural with 'was': {PLURAL_WAS.search(summary)}"
    words = {w for text in texts for w in re.findall(r"[\w'’-]+", text)}
    for cut in re.findall(r"([\w'’-]+)…", summary):
        if cut not in words:
            yield f"a word cut short: {cut}…"


def test_every_summary_reads_as_a_plain_english_sentence(history: History) -> None:
    broken = {s: problems for s in history.summaries if (problems := list(broken_rules(s, history.texts)))}
    assert not broken, "\n".join(f"{s}\n    {p}" for s, p in broken.items())


def test_the_rules_catch_what_the_issue_found() -> None:
    # The sentences of issue 11, as today's code wrote them, each breaks a rule.
    for found in (
        "Parent agreed with version 14 of the plan.",
        "Correction to the session entry of 2026-03-20 (version 40): reason missed pupil absent → timetable clash; "
        "note not set → Year 1 trip.",
        "Session delivered: therapy delivered by a trained teaching assistant, 20 minutes, by a teaching assistant "
        "(Mrs O'Neill).",
        "The reviews was edited: reviews[0].summary shows “Agreed”, but the events give “Disagreed”.",
        "Review held on 2026-11-05 with Sam Senco (SENCO); next review due 2027-02-05.",
        "Barrier amended: reading evidence now Phonics check; teacher assessme… (was Phonics check).",
        "Correction to the missed_reason of an entry.",
    ):
        assert list(broken_rules(found, ["Phonics", "check", "teacher"])), found


def test_a_parent_agreed_with_the_plan_as_it_stood_on_a_day(history: History) -> None:
    agreed, disagreed, seen, by_phone = history.of("AcknowledgementRecorded")
    # Version 9 was recorded on 11 September; nothing else that day.
    assert agreed == ("Pat Okafor (parent) agreed with the plan as it stood on 11 September 2026, saying “Happy with "
                      "the plan; keep us posted.”")
    # Version 3 was recorded at 09:30 UTC (10:30 in London) on 10 September, and the plan changed again that day.
    assert seen == "Pat Okafor (parent) saw the plan as it stood at 10:30 on 10 September 2026."
    assert disagreed.startswith("Pat Okafor (parent) disagreed with the plan as it stood on 6 November 2026, saying "
                                "“We never agreed")
    assert by_phone == ("Sam Okafor (parent) disagreed with the plan as it stood on 10 November 2026, by phone, "
                        "saying “Still worried about lunchtimes”; recorded by Sam Senco.")


def test_a_correction_says_what_was_wrong_and_what_it_is_now(history: History) -> None:
    corrections = history.of("CorrectionRecorded")
    assert corrections[0] == (
        "Correction to the missed session of “Speech and language therapy programme set by the NHS therapist, "
        "delivered by a trained…” on 22 September 2026: the reason the session was missed was corrected from “pupil "
        "absent” to “timetable clash”; the note was corrected to “Year 1 trip” (none had been recorded). "
        "Reason: Recorded as absent, but she was on the Year 1 trip that day.")
    assert "the note (“Cut short for the fire alarm test”) was removed" in corrections[1]
    assert "the session was corrected from “delivered” to “missed”" in corrections[2]
    assert "the date of the session was corrected from 2 October 2026 to 1 October 2026" in corrections[3]
    assert ("the length of each session was corrected from 20 minutes to 25 minutes; the place it happens was "
            "corrected from “withdrawn from class” to “in class”; the start date was corrected from 7 September 2026 "
            "to 14 September 2026; the date it was agreed was corrected from 3 September 2026 to 4 September "
            "2026") in corrections[4]
    assert "the barriers it addresses were corrected from" in corrections[5]
    assert corrections[6].startswith("Correction to the opening of the plan on 3 September 2026: the child's first "
                                     "name was corrected from “Zoë” to “Zoe”; the child's date of birth was corrected "
                                     "from 14 May 2018 to 15 April 2018.")


def test_a_session_names_its_provision_once_and_who_led_it_only_when_recorded(history: History) -> None:
    delivered = history.of("SessionRecorded")[0]
    assert delivered == ("Session of “Speech and language therapy programme set by the NHS therapist, delivered by "
                         "a trained…” delivered on 15 September 2026, 20 minutes, led by a teaching assistant "
                         "(Mrs O'Neill).")
    missed = history.of("SessionRecorded")[3:9]
    assert [m.split(" missed ", 1)[1] for m in missed] == [
        "because Zoë was absent.", "because the member of staff was absent. Note: “TA covering a class”.",
        "because of a timetable clash.", "because the school was closed.", "because Zoë did not want to take part.",
        "for another reason. Note: “With the school nurse”."]


def test_erasure_and_legal_holds_say_who_when_and_why(history: History) -> None:
    assert history.of("LegalHoldSet") == ["Set a legal hold. Reason: Claim threatened by letter of 28 August 2027."]
    assert history.of("LegalHoldLifted") == ["Lifted the legal hold. Reason: Claim withdrawn."]
    assert history.of("PlanErased") == [
        "Erased the pupil's personal data. Reason: Retention period ended (date of birth + 31 years)."]


def test_a_review_says_who_came_and_what_was_decided(history: History) -> None:
    [review] = history.of("ReviewHeld")
    assert review == (
        "Review held on 5 November 2026 with Sam Senco (SENCO), Pat Okafor (parent) and Tess Teacher (class "
        "teacher); the parent's views are recorded. What was decided: “Good progress in phonics; the Lego group "
        "moves to lunchtimes and the next review is in February”. The next review is due by 5 February 2027.")


def test_a_long_text_is_shortened_at_a_word_and_kept_whole_in_the_plan(history: History) -> None:
    view = history.of("ContributionRecorded")[0]
    assert view.startswith("Parent's view added: “She loves books at bedtime")
    assert view.endswith("…”.") and len(view) < len(LONG_VIEW)
    plan: Plan | None = None
    for event in history.events:
        if type(event).__name__ == "PlanErased":  # the plan as it stood before its personal data was erased
            break
        plan = event.mutate(plan)
    assert plan is not None
    assert plan.facts["contributions"][0]["data"]["text"] == "She loves books at bedtime."  # as corrected


def test_every_field_a_write_or_correction_names_has_words() -> None:
    named = set(wording.FIELD_NAMES)
    for section in SECTIONS.values():
        assert set(section.fields) <= named, section.name
    for cls in EVENT_CLASSES:
        record = {"type": cls.__name__, "data": {"changes": {}}, "actor": {"role": "senco"}}
        fields = correctable_fields(record)
        assert set(fields) <= named, (cls.__name__, set(fields) - named)


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("Short enough", 20, "Short enough"),
    ("Phonics screening check: teacher assessment in September", 40, "Phonics screening check: teacher…"),
    ("Supercalifragilisticexpialidocious words", 10, "Supercali…"),  # one word longer than the limit
    ("  spaces\nand lines  ", 40, "spaces and lines"),
])
def test_shorten_cuts_at_a_word_boundary(text: str, limit: int, expected: str) -> None:
    assert wording.shorten(text, limit) == expected


def test_dates_and_instants_in_words() -> None:
    assert wording.in_words("2026-09-05") == "5 September 2026"
    assert wording.instant_in_words("2026-07-01T09:05:00+00:00") == "10:05 on 1 July 2026"  # British Summer Time
    assert wording.joined(["a", "b", "c"]) == "a, b and c"
    assert wording.with_article("educational psychologist") == "an educational psychologist"
    assert wording.with_article("Mrs O'Neill") == "Mrs O'Neill"
