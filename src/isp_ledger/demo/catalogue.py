"""What the demo school is made of: names, needs in national proportions, and the barriers, provision,
adjustments and outcomes a SENCO would write for each need.

Proportions of need types follow the national pattern for primary schools (DfE, "Special educational needs in
England", 2024-25), rounded: among pupils on SEN support, speech, language and communication needs are the most
common primary need, then social, emotional and mental health, moderate and specific learning difficulties and
autism; among pupils with an EHC plan, autism leads, then speech and language. About one pupil in six with an
ISP has an EHC plan (the Specialist tier). The provision is what English primary schools commonly run: phonics
catch-up groups, precision teaching, Talk Boost and NELI language groups, speech and language therapy
programmes, LEGO-based social skills groups, ELSA, nurture groups, sensory circuits, fine-motor groups.

This module is data; ``school.py`` decides who gets what, ``pupils.py`` who the children are.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------------- tiers, needs

TIER_WEIGHTS = {"targeted": 57, "targeted_plus": 28, "specialist": 15}

NEED_WEIGHTS: dict[str, dict[str, float]] = {
    "targeted": {"SLCN": 30, "SEMH": 19, "MLD": 15, "SPLD": 13, "ASD": 7, "NSA": 6, "OTH": 4, "PD": 3, "HI": 2,
                 "VI": 1},
    "targeted_plus": {"SLCN": 34, "ASD": 18, "SEMH": 17, "MLD": 9, "SPLD": 6, "PD": 6, "HI": 5, "VI": 3,
                      "OTH": 2},
    "specialist": {"ASD": 38, "SLCN": 24, "SEMH": 12, "SLD": 9, "MLD": 6, "PD": 5, "PMLD": 2, "HI": 2, "VI": 1,
                   "SPLD": 1},
}
AREA_OF = {"SPLD": "cognition_and_learning", "MLD": "cognition_and_learning", "SLD": "cognition_and_learning",
           "PMLD": "cognition_and_learning", "SEMH": "semh", "SLCN": "communication_and_interaction",
           "ASD": "communication_and_interaction", "HI": "sensory_and_physical", "VI": "sensory_and_physical",
           "PD": "sensory_and_physical", "OTH": "sensory_and_physical", "NSA": "cognition_and_learning"}
# A second need often goes with the first (language and behaviour, literacy and self-esteem).
SECONDARY_NEEDS = {"SLCN": ("SEMH", "MLD"), "ASD": ("SLCN", "SEMH"), "SEMH": ("SLCN", "SPLD"),
                   "MLD": ("SLCN", "SEMH"), "SPLD": ("SEMH",), "SLD": ("PD",), "PMLD": ("PD",), "PD": ("SPLD",),
                   "HI": ("SLCN",), "VI": ("PD",), "OTH": ("SEMH",), "NSA": ("SEMH",)}

# -------------------------------------------------------------------------------------------------- barriers


@dataclass(frozen=True)
class Barrier:
    description: str
    evidence: str


BARRIERS: dict[str, tuple[Barrier, ...]] = {
    "SPLD": (Barrier("Decoding is slow and inaccurate; confuses b/d and p/q and loses the place when reading",
                     "Phonics screening check: {low}/40; dyslexia screener (LUCID Rapid) indicates high risk"),
             Barrier("Spelling and handwriting lag well behind reading and ideas; avoids writing tasks",
                     "Single-word spelling test: standard score 76; writing samples, autumn term")),
    "MLD": (Barrier("Working well below age-related expectations in reading, writing and maths; finds it hard to "
                    "retain new learning from one week to the next",
                    "Termly assessments: working at the standard of a pupil two years younger; BPVS standard "
                    "score 78"),),
    "SLD": (Barrier("Severe learning difficulties: communicates with some words, Makaton signs and symbols; needs "
                    "adult support for all learning and self-care",
                    "EHC plan section B; educational psychologist's report"),),
    "PMLD": (Barrier("Profound and multiple learning difficulties with complex medical needs; communicates through "
                     "vocalisations, eye pointing and a switch",
                     "EHC plan section B; consultant paediatrician's letter; individual healthcare plan"),),
    "SLCN": (Barrier("Limited expressive vocabulary and short, simple sentences; struggles to follow instructions "
                     "with more than two key words",
                     "WellComm screen: red; NHS speech and language therapy report"),
             Barrier("Speech sounds are unclear (fronting k/g to t/d, cluster reduction); hard for unfamiliar "
                     "listeners to understand, so reluctant to speak in class",
                     "NHS speech and language therapy assessment; teacher observation"),
             Barrier("Understands far less spoken language than peers; copies others rather than following the "
                     "teacher's instructions",
                     "CELF-5 receptive language score in the 5th centile; class observations")),
    "ASD": (Barrier("Finds changes to routine, noisy spaces and unstructured times very hard; becomes overwhelmed "
                    "at transitions",
                    "Diagnosis of autism (community paediatrics); incident log: {incidents} incidents last term"),
            Barrier("Social communication: plays alongside rather than with others and finds turn-taking and "
                    "reading others' feelings hard",
                    "Autism diagnosis report; playground observations by the SENCO")),
    "SEMH": (Barrier("Anxiety about school leads to withdrawal, refusing to start tasks and lateness",
                     "SDQ total difficulties score 21 (high); attendance {attendance}% last term"),
             Barrier("Dysregulated when frustrated: leaves the classroom, shouts or throws equipment",
                     "Behaviour log: {incidents} incidents last term; Boxall Profile"),
             Barrier("Low self-esteem and difficulty making and keeping friendships after a family bereavement",
                     "Parent and class teacher reports; SDQ peer problems score 6")),
    "HI": (Barrier("Moderate bilateral hearing loss; misses instructions and discussion in noisy rooms",
                   "Audiology report; hearing aids and a radio aid; Teacher of the Deaf assessment"),),
    "VI": (Barrier("Reduced visual acuity (nystagmus); cannot access board work or standard-size print",
                   "Qualified Teacher of Vision Impairment (QTVI) functional vision assessment"),),
    "PD": (Barrier("Hypermobility and weak core strength limit handwriting stamina, sitting and PE",
                   "NHS occupational therapy report; handwriting speed of {speed} letters a minute"),
           Barrier("Cerebral palsy (right hemiplegia) affects fine and gross motor skills and fatigue",
                   "Physiotherapy and occupational therapy reports; individual healthcare plan")),
    "OTH": (Barrier("Epilepsy with frequent absence seizures; loses parts of lessons and tires easily",
                    "Individual healthcare plan; consultant neurologist's letter"),),
    "NSA": (Barrier("Slow progress in reading and difficulty keeping attention, despite quality-first teaching; "
                    "the need has not yet been specialist-assessed",
                    "Teacher assessment; assess-plan-do-review records over two terms"),),
}

# ------------------------------------------------------------------------------------------------- provision


@dataclass(frozen=True)
class Provision:
    key: str
    description: str
    delivered_by: str
    group_size: int
    sessions_per_week: float
    minutes: int
    location: str
    evidence_basis: str | None
    staff: str  # who runs it: "ta", "elsa", "teacher", "therapist", "physio" (see school.STAFF)
    weekdays: tuple[int, ...]  # Monday 0; a fortnightly provision meets on the first, every other week
    weeks: int | None = None  # a fixed block of this many weeks (ends_on), as therapy blocks are


PROVISIONS: dict[str, Provision] = {p.key: p for p in (
    Provision("phonics", "Small-group phonics catch-up, following the school's systematic synthetic phonics scheme",
              "teaching assistant", 4, 3, 30, "withdrawal", "EEF: phonics, high impact for very low cost", "ta",
              (0, 2, 4)),
    Provision("precision", "Precision teaching of high-frequency words: a daily one-minute probe and practice",
              "teaching assistant", 1, 5, 10, "withdrawal", "Precision teaching: well-evidenced for fluency",
              "ta", (0, 1, 2, 3, 4)),
    Provision("maths", "Small-group maths intervention on number sense and place value (Numicon)",
              "teaching assistant", 3, 2, 30, "withdrawal", "EEF: small-group tuition, moderate impact", "ta",
              (1, 3)),
    Provision("fluency", "One-to-one paired reading for fluency and comprehension", "teaching assistant", 1, 3, 15,
              "withdrawal", "EEF: reading comprehension strategies, high impact", "ta", (0, 1, 3)),
    Provision("talkboost", "Talk Boost language group: listening, vocabulary and narrative",
              "teaching assistant", 4, 3, 30, "withdrawal", "Talk Boost (Speech and Language UK): evaluated",
              "ta", (1, 2, 3)),
    Provision("neli", "NELI oral language programme (Nuffield Early Language Intervention)",
              "teaching assistant", 3, 3, 20, "withdrawal", "NELI: EEF trial, about +3 months' progress", "ta",
              (0, 2, 4)),
    Provision("salt_programme", "Speech and language therapy programme set by the NHS therapist, delivered by a "
              "trained teaching assistant", "trained teaching assistant", 1, 2, 20, "withdrawal",
              "Targets from the speech and language therapist's report", "ta", (1, 4)),
    Provision("salt", "Speech and language therapist direct sessions (Experts at Hand block)",
              "speech and language therapist", 1, 0.5, 45, "withdrawal",
              "Experts at Hand speech and language therapy assessment", "therapist", (2,), weeks=12),
    Provision("lego", "Social skills group (LEGO-based therapy)", "teaching assistant", 3, 1, 45, "withdrawal",
              "LEGO-based therapy: promising evidence for social communication", "ta", (3,)),
    Provision("attention", "Attention Autism group (stages 1 to 3)", "teaching assistant", 4, 4, 20, "withdrawal",
              "Attention Autism (Gina Davies): widely used, recommended by the local autism outreach team", "ta",
              (0, 1, 2, 3)),
    Provision("sensory", "Sensory circuit before lessons (alerting, organising, calming)", "teaching assistant", 6,
              5, 15, "withdrawal", "Recommended by the occupational therapist", "ta", (0, 1, 2, 3, 4)),
    Provision("zones", "Zones of Regulation check-in with a key adult", "key adult (teaching assistant)", 1, 5, 10,
              "in_class", "Zones of Regulation: structured self-regulation curriculum", "ta", (0, 1, 2, 3, 4)),
    Provision("elsa", "ELSA sessions (Emotional Literacy Support Assistant)", "ELSA-trained teaching assistant",
              1, 1, 30, "withdrawal", "ELSA: trained and supervised by the educational psychology service",
              "elsa", (2,)),
    Provision("nurture", "Nurture group afternoons (Boxall Profile targets)", "nurture group staff", 8, 2, 60,
              "withdrawal", "Nurture groups: nurtureuk evidence; Boxall Profile", "elsa", (1, 3)),
    Provision("drawing", "Drawing and Talking therapy (12-week programme)", "ELSA-trained teaching assistant", 1, 1,
              30, "withdrawal", "Drawing and Talking: trained practitioner", "elsa", (4,), weeks=12),
    Provision("finemotor", "Fine-motor skills group (Clever Fingers)", "teaching assistant", 4, 3, 15,
              "withdrawal", "Occupational therapy recommendations", "ta", (0, 2, 4)),
    Provision("physio", "Physiotherapy exercise programme set by the NHS physiotherapist", "teaching assistant", 1,
              3, 20, "withdrawal", "NHS physiotherapy programme", "physio", (0, 2, 4)),
    Provision("typing", "Touch-typing programme on a laptop", "teaching assistant", 1, 2, 20, "withdrawal",
              "British Dyslexia Association guidance: touch typing to free working memory for writing", "ta",
              (1, 3)),
    Provision("pre_teach", "Pre-teaching of topic vocabulary before lessons", "teaching assistant", 2, 2, 15,
              "in_class", "Word Aware approach; EEF: explicit vocabulary instruction", "ta", (0, 3)),
    Provision("tod", "Teacher of the Deaf visit: monitoring, radio aid checks and advice",
              "qualified Teacher of the Deaf (sensory service)", 1, 0.5, 45, "withdrawal",
              "Sensory support service", "therapist", (1,)),
    Provision("qtvi", "Vision skills and access technology sessions with a QTVI",
              "Qualified Teacher of Vision Impairment (sensory service)", 1, 0.5, 60, "withdrawal",
              "Sensory support service", "therapist", (1,)),
    Provision("one_to_one", "Daily one-to-one support from a named teaching assistant in English and maths "
              "(EHC plan section F)", "named teaching assistant", 1, 5, 60, "in_class", "EHC plan section F",
              "ta", (0, 1, 2, 3, 4)),
    Provision("intensive", "Intensive Interaction and early communication sessions", "named teaching assistant", 1,
              5, 20, "withdrawal", "Intensive Interaction: recommended in the EHC plan", "ta", (0, 1, 2, 3, 4)),
)}

# Which provision a plan gets for its primary need: the first of its tier's list, sometimes the second too.
NEED_PROVISIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "SPLD": {"targeted": ("phonics", "precision"), "targeted_plus": ("phonics", "typing"),
             "specialist": ("one_to_one", "precision")},
    "MLD": {"targeted": ("maths", "precision"), "targeted_plus": ("maths", "pre_teach"),
            "specialist": ("one_to_one", "maths")},
    "SLD": {"specialist": ("one_to_one", "intensive")},
    "PMLD": {"specialist": ("intensive", "physio")},
    "SLCN": {"targeted": ("talkboost", "neli"), "targeted_plus": ("salt_programme", "talkboost"),
             "specialist": ("one_to_one", "salt_programme")},
    "ASD": {"targeted": ("lego", "zones"), "targeted_plus": ("attention", "lego"),
            "specialist": ("one_to_one", "sensory")},
    "SEMH": {"targeted": ("elsa", "zones"), "targeted_plus": ("nurture", "drawing"),
             "specialist": ("one_to_one", "elsa")},
    "HI": {"targeted": ("pre_teach",), "targeted_plus": ("pre_teach", "tod"), "specialist": ("one_to_one", "tod")},
    "VI": {"targeted": ("typing",), "targeted_plus": ("typing", "qtvi"), "specialist": ("one_to_one", "qtvi")},
    "PD": {"targeted": ("finemotor",), "targeted_plus": ("finemotor", "physio"),
           "specialist": ("one_to_one", "physio")},
    "OTH": {"targeted": ("zones",), "targeted_plus": ("pre_teach",), "specialist": ("one_to_one",)},
    "NSA": {"targeted": ("phonics", "fluency"), "targeted_plus": ("fluency",)},
}
# The professional input a Targeted Plus or Specialist plan adds for its primary need (Experts at Hand).
PROFESSIONAL_PROVISION = {"SLCN": "salt", "ASD": "salt", "SLD": "salt", "HI": "tod", "VI": "qtvi"}
# What replaces a provision once it has done its job, at a review.
NEXT_PROVISION = {"phonics": "fluency", "neli": "talkboost", "drawing": "elsa", "talkboost": "pre_teach",
                  "elsa": "lego", "finemotor": "typing", "precision": "fluency"}

# -------------------------------------------------------------------------------------------------- adjustments

ADJUSTMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "cognition_and_learning": (
        ("Reading books and worksheets matched to decoding level; a coloured overlay trialled", "curriculum"),
        ("Instructions chunked and written as well as spoken; extra processing time", "communication"),
        ("Word banks and sound mats on the desk in every lesson", "curriculum"),
        ("Access arrangements in assessments: a reader and 25% extra time", "assessment"),
    ),
    "communication_and_interaction": (
        ("Visual timetable and a now-and-next board", "routines"),
        ("Adults use short sentences, key words and wait ten seconds for a reply", "communication"),
        ("A warning before each transition; leaves for lunch five minutes early", "routines"),
        ("Ear defenders and a seat at the end of the row in assembly", "environment"),
    ),
    "semh": (
        ("A named key adult for a daily check-in at the classroom door", "routines"),
        ("A calm space in the library corner with a time-out card", "environment"),
        ("Movement breaks every twenty minutes", "routines"),
        ("A restorative conversation before any sanction", "other"),
    ),
    "sensory_and_physical": (
        ("Seated near the teacher, facing the light, away from the hall door", "environment"),
        ("Radio aid worn in all lessons; teachers check it each morning", "communication"),
        ("Resources enlarged to N24 print; a copy of the board on the desk", "curriculum"),
        ("Sloping writing board, pencil grip and an adapted PE programme", "environment"),
    ),
}

# ----------------------------------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Outcome:
    description: str
    success_criteria: str
    baseline: float
    target: float
    unit: str  # how a measurement reads: "{value} of 20 words"
    source: str


OUTCOMES: dict[str, tuple[Outcome, ...]] = {
    "cognition_and_learning": (
        Outcome("Reads CVC and CCVC words accurately", "Reads 18 of 20 unseen CVC/CCVC words in a termly check",
                8, 18, "{value:g} of 20 unseen words", "termly phonics check"),
        Outcome("Knows number bonds to 10 fluently", "Answers 18 of 20 number bonds to 10 within two minutes",
                6, 18, "{value:g} of 20 bonds in two minutes", "timed check"),
        Outcome("Writes a sentence with a capital letter and full stop independently",
                "Four of five independent sentences correctly demarcated in books", 1, 4,
                "{value:g} of 5 sentences", "book scrutiny"),
    ),
    "communication_and_interaction": (
        Outcome("Follows instructions with three key words in class",
                "Follows 8 of 10 three-key-word instructions without a repeat", 3, 8,
                "{value:g} of 10 instructions", "class teacher observation"),
        Outcome("Retells a short story in sentences of five words or more",
                "Average sentence length of 5 words in a recorded retell", 2, 5, "{value:g} words per sentence",
                "recorded narrative sample"),
        Outcome("Takes turns in a structured game with two peers",
                "Takes turns without adult prompting in 4 of 5 observed games", 0, 4, "{value:g} of 5 games",
                "playground observation"),
    ),
    "semh": (
        Outcome("Names feelings and uses a calming strategy", "Uses a strategy without prompting in 4 of 5 "
                "observed episodes over four weeks", 0, 4, "{value:g} of 5 episodes", "ELSA log"),
        Outcome("Settles to a task within five minutes", "Starts the task within five minutes in 4 of 5 lessons "
                "observed", 1, 4, "{value:g} of 5 lessons", "class teacher observation"),
        Outcome("Comes into school calmly each morning", "Arrives and separates calmly on 9 of 10 mornings", 4, 9,
                "{value:g} of 10 mornings", "key adult's log"),
    ),
    "sensory_and_physical": (
        Outcome("Writes legibly for ten minutes", "Ten minutes of legible writing without a rest break", 3, 10,
                "{value:g} minutes", "OT handwriting check"),
        Outcome("Manages their own equipment and asks for help", "Sets up their equipment and asks for a repeat "
                "when needed in 4 of 5 lessons", 1, 4, "{value:g} of 5 lessons", "teaching assistant log"),
    ),
}

# ------------------------------------------------------------------------------------------------------- people

BOYS = ("Oliver", "George", "Noah", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Archie", "Henry", "Theo",
        "Freddie", "Jack", "Charlie", "Alfie", "Jacob", "Thomas", "Finley", "Lucas", "Isaac", "Reggie", "Tommy",
        "Albie", "Teddy", "Ezra", "Hugo", "Kai", "Ibrahim", "Yusuf", "Zain", "Mason", "Riley", "Logan", "Jayden",
        "Kacper", "Dylan", "Ethan", "Tyler", "Callum", "Ollie", "Max", "Rory", "Elijah", "Ayaan", "Kian")
GIRLS = ("Olivia", "Amelia", "Isla", "Ava", "Ivy", "Freya", "Lily", "Florence", "Mia", "Willow", "Rosie",
         "Sophia", "Isabella", "Grace", "Daisy", "Sienna", "Poppy", "Elsie", "Emily", "Ella", "Evie", "Phoebe",
         "Maya", "Aisha", "Zara", "Maryam", "Amara", "Hannah", "Ruby", "Millie", "Esme", "Layla", "Zofia", "Nia")
FAMILY_NAMES = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
                "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
                "Jackson", "Clarke", "Khan", "Ahmed", "Hussain", "Begum", "Lewis", "Harris", "Martin", "Cooper",
                "Hughes", "Edwards", "Turner", "Hill", "Moore", "Clark", "Baker", "Nowak", "Kowalski", "Okafor",
                "Mensah", "Adeyemi", "Murphy", "O'Brien", "Kaur", "Singh", "Ali", "Shah", "Ward", "Price",
                "Bennett", "Mitchell", "Kelly", "Chapman", "Marsh", "Fletcher", "Dixon", "Barnes", "Fraser")
MOTHERS = ("Sarah", "Emma", "Laura", "Claire", "Rebecca", "Gemma", "Kelly", "Hayley", "Amy", "Natalie", "Fatima",
           "Nadia", "Joanna", "Agnieszka", "Chloe", "Jade", "Samantha", "Lucy", "Shabana", "Grace", "Stacey")
FATHERS = ("James", "Daniel", "Matthew", "Chris", "Mark", "Ryan", "Lee", "Imran", "Tomasz", "David", "Adam",
           "Craig", "Kwame", "Gareth", "Asif")
