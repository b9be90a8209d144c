"""The words people write in the demo school's plans: parents' views, pupils' voices, review summaries,
professionals' advice, reasons for changes. ``{child}`` is the child's first name."""

from __future__ import annotations

PARENT_VIEWS: dict[str, tuple[str, ...]] = {
    "cognition_and_learning": (
        "{child} loves stories at bedtime but gets upset when the words are hard; we read together most nights.",
        "Homework is a battle: {child} says they are 'thick'. We want them to feel proud of their work.",
        "We have noticed {child} reversing letters and guessing words from the pictures.",
        "{child} is reading to us more willingly now, and chose a library book on their own.",
    ),
    "communication_and_interaction": (
        "At home {child} talks more, but family members outside the house find them hard to understand.",
        "{child} gets very anxious about changes: a different route to school can upset the whole morning.",
        "{child} has started telling us about their day, which they never did before.",
        "Weekends are calmer with a visual plan; we would like the same at school.",
    ),
    "semh": (
        "Mornings are hard: {child} has tummy aches on school days and not at weekends.",
        "{child} comes home exhausted and angry after a bad day; we want to know sooner when things go wrong.",
        "Since their grandad died {child} has been clingy and worried about us when apart.",
        "{child} talks about their ELSA sessions and has used the breathing at home.",
    ),
    "sensory_and_physical": (
        "{child} is tired by Wednesday; the exercises at home are going well but writing still hurts.",
        "The new glasses help, but {child} still holds books very close.",
        "{child} does not always wear the hearing aids at school because other children comment.",
        "PE is {child}'s favourite lesson now that it is adapted.",
    ),
}
PUPIL_VOICES = (
    "I like going to the group because it is quiet.",
    "Reading is getting easier. I can do the tricky words now.",
    "I don't like it when the class is noisy. The ear defenders help.",
    "I like my check-in with Miss in the morning.",
    "Sometimes I miss playtime for my group and I don't like that.",
    "I want to be able to write more by myself.",
    "The LEGO club is the best bit of the week.",
    "When I feel angry I can go to the calm corner.",
    "",  # a child who did not want to say anything this time
)
PUPIL_VIEWS_AT_REVIEW = (
    "Said the group helps and wants to keep going.",
    "Showed the thumbs-up card for the group and thumbs-down for assemblies.",
    "Chose not to join the meeting; their views were gathered earlier with the key adult.",
    "Wants to read to the class one day.",
    "Says lunchtimes are better now.",
    "",
)
SUMMARIES = {
    "good": ("Good progress towards the outcomes; provision continues as planned.",
             "Outcome targets largely met; the next steps are agreed below.",
             "Clear progress this term; parent and staff agree the plan is working."),
    "steady": ("Steady progress; some sessions were missed through absence, to be protected next term.",
               "Progress slower than hoped; the group timing is to change so that it does not clash with PE.",
               "Mixed term: better in class, harder at lunchtimes; adjustments reviewed."),
}
PROFESSIONAL_ADVICE = {
    "speech and language therapist": (
        "Assessment shows a receptive language difficulty. Recommend a language group three times a week and "
        "pre-teaching of vocabulary; review the targets at the end of term.",
        "Speech sounds: k and g are now emerging in single words. Continue the programme twice weekly with the "
        "trained TA; I will visit fortnightly for this block.",
    ),
    "educational psychologist": (
        "Cognitive assessment shows relative strength in verbal reasoning and a weakness in working memory. "
        "Recommend chunked instructions, precision teaching and overlearning.",
        "Consultation with school and parent: anxiety drives the avoidance. Recommend ELSA, a key adult and a "
        "predictable start to the day.",
    ),
    "occupational therapist": (
        "Fine-motor and core strength below age expectations. Recommend a sensory circuit daily, a sloping board "
        "and a fine-motor group three times a week.",
    ),
    "Teacher of the Deaf": (
        "Radio aid checked and working; staff reminded to use it in all lessons including assemblies.",
    ),
    "Qualified Teacher of Vision Impairment": (
        "Functional vision assessment: N24 print and a copy of the board needed; trial of a magnifier app.",
    ),
}
PROFESSION_FOR = {"SLCN": "speech and language therapist", "ASD": "speech and language therapist",
                  "SLD": "speech and language therapist", "MLD": "educational psychologist",
                  "SPLD": "educational psychologist", "SEMH": "educational psychologist", "NSA":
                  "educational psychologist", "PD": "occupational therapist", "PMLD": "occupational therapist",
                  "OTH": "educational psychologist", "HI": "Teacher of the Deaf",
                  "VI": "Qualified Teacher of Vision Impairment"}
DISAGREEMENTS = (
    "We asked for speech and language therapy at the meeting and it is not in the plan.",
    "The plan says three sessions a week but {child} tells us it is often only one.",
    "We do not agree that {child} no longer needs the nurture group.",
)
AGREEMENT_COMMENTS = (None, None, None, "Thank you, happy with this.", "Agreed; please keep us posted.",
                      "Signed at the meeting.")
ENDINGS = {
    "phonics": "Phonics gaps closed (phase 5 secure); moving on to reading fluency",
    "neli": "NELI programme completed (20 weeks)",
    "drawing": "Drawing and Talking block of 12 sessions completed",
    "talkboost": "Talk Boost programme completed; vocabulary to be supported in class instead",
    "elsa": "ELSA block finished; social skills group next",
    "finemotor": "Fine-motor targets met; touch typing to build writing stamina",
    "precision": "All 100 high-frequency words secure; fluency work next",
}
MISSED_NOTES = {
    "staff_absent": ("TA off sick; no cover available", "TA covering a class for a teacher's absence",
                     "TA at a training course"),
    "timetable_clash": ("Class assembly rehearsal", "Visiting theatre company in the hall", "Whole-school photos",
                        "Fire drill overran", "Assessment week in class"),
    "pupil_declined": ("Refused to leave class; tried again later without success",
                       "Too upset after lunch to take part"),
    "other": ("With the school nurse", "Collected early by a parent for an appointment"),
}
# Why a plan is closed. Nothing here says the record was sent anywhere: the ledger cannot yet move a plan to
# another school (CONTRACT.md §12), so a reason that said so would be a claim the record cannot back; a school
# can give the new school the plan's evidence bundle.
CLOSING_REASONS = {
    "end_of_primary": "Left at the end of Year 6 for secondary school; needs and provision talked through with the "
                      "new school's SENCO at the transition review, and the plan's evidence bundle given to them",
    "moved_away": "Family moved to Leeds; the plan's evidence bundle given to the new school's SENCO",
}
SHORT_SESSION_NOTES = ("Started late: assembly overran", "Cut short for the fire alarm test",
                       "Shortened: group arrived late from PE")
