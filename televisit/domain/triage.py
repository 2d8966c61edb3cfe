"""First-visit intake (pure): the questions a spine tumor clinic asks, their validation, and the red flags.

A red flag (new loss of bowel or bladder control, new weakness or trouble walking, numbness in the saddle
area, rapidly worsening pain or numbness) can mean spinal cord or cauda equina compression: routine
booking stops and the patient is told to seek emergency care now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

# (value, label) pairs, in the order shown.
SYMPTOMS = (
    ("back_neck_pain", "Back or neck pain"),
    ("radiating_pain", "Pain spreading into an arm or leg"),
    ("numbness", "Numbness or tingling"),
    ("weakness", "Weakness in an arm or leg"),
    ("walking", "Trouble walking or with balance"),
    ("bladder_bowel", "Problems controlling bladder or bowel"),
    ("lump", "A lump or swelling"),
    ("scan_finding", "Something found on a scan, without symptoms"),
    ("other", "Something else"),
)
URGENT = (
    ("bladder_bowel", "New loss of bladder or bowel control (or you cannot pass urine)"),
    ("weakness_walking", "New weakness in your legs or arms, or new trouble walking"),
    ("saddle_numbness", "New numbness in the saddle area (between the legs, buttocks, inner thighs)"),
    ("rapid_worsening", "Pain or numbness that is getting worse quickly (over hours or days)"),
    ("none", "None of these"),
)
SINCE = (
    ("days", "Less than a week"),
    ("weeks", "1 to 4 weeks"),
    ("months", "1 to 3 months"),
    ("quarter_year", "3 to 12 months"),
    ("years", "More than a year"),
)
COURSE = (
    ("better", "Getting better"),
    ("same", "About the same"),
    ("slowly_worse", "Slowly getting worse"),
    ("rapidly_worse", "Getting worse quickly (over hours or days)"),
)
DAILY_LIFE = (
    ("none", "Not at all"),
    ("mild", "A little: I manage my usual activities"),
    ("moderate", "Quite a lot: some things I can no longer do"),
    ("severe", "Severely: I need help with everyday tasks"),
)
YES_NO = (("yes", "Yes"), ("no", "No"), ("unsure", "Not sure"))
NEW_SINCE_BOOKING = "new_since_booking"  # the flag of a case opened at a video visit's check-in
RED_FLAGS = {
    "bladder_bowel": "new loss of bladder or bowel control",
    "weakness_walking": "new weakness or trouble walking",
    "saddle_numbness": "numbness in the saddle area",
    "rapid_worsening": "rapidly worsening pain or numbness",
    NEW_SINCE_BOOKING: "new red-flag symptoms since booking (said when checking in for a video visit)",
}
# What a patient checking in for a video visit confirms they have not had since booking (URGENT's symptoms).
CHECK_IN_SYMPTOMS = tuple(label for value, label in URGENT if value != "none")
PAIN_OR_NUMBNESS = frozenset({"back_neck_pain", "radiating_pain", "numbness"})
MAX_TEXT = 1000


@dataclass(frozen=True)
class IntakeAnswers:
    """One patient's answers, already validated."""

    symptoms: tuple[str, ...]
    urgent: tuple[str, ...]
    since: str
    course: str
    daily_life: str
    prior_tumor: str
    family_history: str
    details: str = ""
    prior_tumor_details: str = ""
    family_details: str = ""

    def as_dict(self) -> dict:
        """Plain data to store."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def _values(choices) -> frozenset[str]:
    return frozenset(value for value, _ in choices)


def _one(form: Mapping, name: str, choices, errors: dict, message: str) -> str:
    value = form.get(name) or ""
    if value not in _values(choices):
        errors[name] = message
    return value


def _many(values: list[str], choices) -> tuple[str, ...]:
    allowed = _values(choices)
    return tuple(v for v, _ in choices if v in set(values) and v in allowed)


def _text(form: Mapping, name: str, errors: dict) -> str:
    text = (form.get(name) or "").strip()
    if len(text) > MAX_TEXT:
        errors[name] = f"Please keep this under {MAX_TEXT} characters."
    return text


def parse_intake(form: Mapping, symptoms: list[str], urgent: list[str]) -> tuple[IntakeAnswers | None, dict]:
    """Answers from a submitted form (`symptoms`/`urgent`: the checked boxes), or None and field errors."""
    errors: dict[str, str] = {}
    chosen = _many(symptoms, SYMPTOMS)
    if not chosen:
        errors["symptoms"] = "Choose at least one, or “Something found on a scan” or “Something else”."
    flags = _many(urgent, URGENT)
    if not flags:
        errors["urgent"] = "Tick any that apply, or “None of these”."
    elif "none" in flags and len(flags) > 1:
        errors["urgent"] = "You ticked “None of these” and a symptom: please check your answer."
    answers = IntakeAnswers(
        symptoms=chosen,
        urgent=flags,
        since=_one(form, "since", SINCE, errors, "Choose when it started."),
        course=_one(form, "course", COURSE, errors, "Choose whether it is getting worse."),
        daily_life=_one(form, "daily_life", DAILY_LIFE, errors, "Choose how it affects your daily life."),
        prior_tumor=_one(form, "prior_tumor", YES_NO, errors, "Choose yes, no or not sure."),
        family_history=_one(form, "family_history", YES_NO, errors, "Choose yes, no or not sure."),
        details=_text(form, "details", errors),
        prior_tumor_details=_text(form, "prior_tumor_details", errors),
        family_details=_text(form, "family_details", errors),
    )
    return (None, errors) if errors else (answers, {})


def red_flags(answers: IntakeAnswers) -> tuple[str, ...]:
    """The red flags these answers raise (keys of RED_FLAGS), in a fixed order; empty when none."""
    found = {flag for flag in answers.urgent if flag in RED_FLAGS}
    if answers.course == "rapidly_worse" and PAIN_OR_NUMBNESS & set(answers.symptoms):
        found.add("rapid_worsening")
    return tuple(flag for flag in RED_FLAGS if flag in found)


def describe(flags: tuple[str, ...] | list[str]) -> list[str]:
    """Plain-language names of red flags, for staff and the urgent page."""
    return [RED_FLAGS[f] for f in flags if f in RED_FLAGS]


# The questions as the patient read them (templates/patient/intake.html), with their choices; None: free text.
QUESTIONS = (
    ("urgent", "Do you have any of these right now, that are new?", URGENT),
    ("symptoms", "What symptoms or findings bring you to us?", SYMPTOMS),
    ("details", "Tell us more", None),
    ("since", "When did it start?", SINCE),
    ("course", "Is it getting worse?", COURSE),
    ("daily_life", "How much does it affect your daily life?", DAILY_LIFE),
    ("prior_tumor", "Have you had cancer or a tumor before?", YES_NO),
    ("prior_tumor_details", "If yes: what kind, and when?", None),
    ("family_history", "Has anyone in your family had cancer, or a benign tumor of the spine or nerves?", YES_NO),
    ("family_details", "If yes: who, and what?", None),
)


def summary(answers: Mapping) -> list[tuple[str, str]]:
    """Stored answers as the care team reads them: (question, the patient's choices or own words), in the
    order asked; unanswered questions and unknown values are left out."""
    out = []
    for key, question, choices in QUESTIONS:
        value = answers.get(key)
        if choices is None:
            text = value.strip() if isinstance(value, str) else ""
        else:
            labels = dict(choices)
            chosen = value if isinstance(value, list) else [value]
            text = "; ".join(labels[v] for v in chosen if isinstance(v, str) and v in labels)
        if text:
            out.append((question, text))
    return out


def _labels(choices, values) -> str:
    names = dict(choices)
    return "; ".join(names.get(v, str(v)) for v in values or ()) or "—"


def _with_details(choices, value, details: str) -> str:
    answer = dict(choices).get(value, "—")
    return f"{answer}: “{details}”" if details else answer


def answers_in_words(answers: Mapping) -> list[tuple[str, str]]:
    """A stored intake as (question, answer) in plain words, for the staff who call the patient back; the
    patient's own words in quotes. Questions not answered (an older intake) are left out."""
    rows = [
        ("Symptoms", _labels(SYMPTOMS, answers.get("symptoms"))),
        ("Urgent symptoms", _labels(URGENT, answers.get("urgent"))),
        ("Started", dict(SINCE).get(answers.get("since"), "")),
        ("Since then", dict(COURSE).get(answers.get("course"), "")),
        ("Daily life", dict(DAILY_LIFE).get(answers.get("daily_life"), "")),
        ("A tumor before", _with_details(YES_NO, answers.get("prior_tumor"), answers.get("prior_tumor_details", ""))),
        ("In the family", _with_details(YES_NO, answers.get("family_history"), answers.get("family_details", ""))),
        ("In their own words", f"“{answers['details']}”" if answers.get("details") else ""),
    ]
    return [(q, a) for q, a in rows if a and a != "—"]
