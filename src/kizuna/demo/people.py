"""The demo's customers: who they are (attributes) and how they behave (hidden traits).

Attribute codes (stored as they are; pages translate them):
- age_band: "10s" (18-19), "20s", "30s", "40s", "50s", "60s", "70+"  (20代 … 70代以上)
- gender: "female", "male", "other", or None (not answered)
- life_stage: "student", "single", "couple", "family_with_kids", "empty_nester", "senior"
- interests: Japanese tags as a Japanese CRM holds them (温泉, グルメ, …)
- prefecture: one of the 47, weighted by the 2020 census; None for guests from abroad
  (their country is in attributes["country"]).

A few customers of the CRM (source "crm", ids C000001…) also exist in the online shop's
system (source "shop", ids SHOP-000001…) with the same e-mail written differently, so that
identity resolution has people to merge. The hidden traits (segment, purchase rate,
dropout, spend, mood) drive `activity` and `voices`; they are never stored.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

import yaml

from kizuna.demo.timeline import END_DAY, SPAN_DAYS, START

__all__ = [
    "AGE_BANDS",
    "LIFE_STAGES",
    "Person",
    "generate_people",
    "identity_rows",
    "normalize_phone",
]

AGE_BANDS = {  # code: (youngest, oldest, weight among customers)
    "10s": (18, 19, 2.0),
    "20s": (20, 29, 14.0),
    "30s": (30, 39, 20.0),
    "40s": (40, 49, 22.0),
    "50s": (50, 59, 19.0),
    "60s": (60, 69, 15.0),
    "70+": (70, 85, 8.0),
}
LIFE_STAGES = ("student", "single", "couple", "family_with_kids", "empty_nester", "senior")
_STAGE_BY_BAND = {
    "10s": {"student": 8, "single": 2},
    "20s": {"student": 2, "single": 6, "couple": 2, "family_with_kids": 1},
    "30s": {"single": 3, "couple": 3, "family_with_kids": 5},
    "40s": {"single": 2, "couple": 2, "family_with_kids": 6},
    "50s": {"single": 1, "couple": 2, "family_with_kids": 3, "empty_nester": 4},
    "60s": {"couple": 2, "empty_nester": 5, "senior": 3},
    "70+": {"empty_nester": 2, "senior": 8},
}
_DOMAINS = ("example.jp", "mail.example.jp", "example.com", "example.net", "mobile.example.jp")


@dataclass
class Person:
    """One customer record plus the hidden traits the activity generator uses."""

    source: str
    external_id: str
    name: str
    email: str | None
    phone: str | None
    line_id: str | None
    birthday: dt.date | None
    age_band: str | None
    gender: str | None
    prefecture: str | None
    life_stage: str | None
    interests: list[str]
    consent_email: bool
    consent_analysis: bool
    attributes: dict[str, Any] = field(default_factory=dict)
    # Hidden traits.
    language: str = "ja"
    segment: str = "shop"  # hotel | shop | both
    acquired: float = 0.0  # days since the window's start; < 0 means before it
    lapsed_before: bool = False  # already gone when the window starts
    rate: float = 0.2  # transactions per 30 days while active
    dropout: float = 0.2  # chance of leaving after each repeat transaction
    spend: float = 5000.0  # mean yen per shop purchase
    activity: float = 1.0  # how much they browse, open e-mails, post
    mood: float = 0.0  # how easily they are pleased (added to satisfaction)

    def row(self) -> dict[str, Any]:
        """The customer table's columns."""
        return {
            "source": self.source,
            "external_id": self.external_id,
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "line_id": self.line_id,
            "birthday": self.birthday,
            "age_band": self.age_band,
            "gender": self.gender,
            "prefecture": self.prefecture,
            "life_stage": self.life_stage,
            "interests": self.interests,
            "consent_email": self.consent_email,
            "consent_analysis": self.consent_analysis,
            "attributes": self.attributes,
        }


@cache
def _parts() -> dict[str, Any]:
    text = resources.files("kizuna.demo").joinpath("data/people.yaml").read_text("utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _weighted(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def _phone(rng: random.Random) -> str:
    """A Japanese mobile number written as people write it (dashes, spaces, +81, full width)."""
    digits = rng.choice(["090", "090", "080", "080", "070"]) + f"{rng.randrange(10**8):08d}"
    a, b, c = digits[:3], digits[3:7], digits[7:]
    style = rng.random()
    if style < 0.6:
        return f"{a}-{b}-{c}"
    if style < 0.8:
        return digits
    if style < 0.85:
        return f"{a} {b} {c}"
    if style < 0.93:
        return f"+81-{a[1:]}-{b}-{c}"
    return f"{a}-{b}-{c}".translate(_FULL_WIDTH)


_FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def normalize_phone(phone: str) -> str:
    """E.164 (+81…) from any of the ways `_phone` writes a number."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", phone) if ch.isdigit())
    if digits.startswith("81"):
        return "+" + digits
    return "+81" + digits.removeprefix("0")


def _birthday(rng: random.Random, band: str) -> dt.date:
    youngest, oldest, _ = AGE_BANDS[band]
    age = rng.randint(youngest, oldest)
    born = END_DAY.replace(year=END_DAY.year - age - 1)
    return born + dt.timedelta(days=rng.randrange(1, 365))


def _make_person(rng: random.Random, number: int, emails: set[str]) -> Person:
    parts = _parts()
    foreign = rng.random() < 0.05
    band = _weighted(rng, {k: v[2] for k, v in AGE_BANDS.items()})
    gender_roll = rng.random()
    gender = (
        "female"
        if gender_roll < 0.52
        else "male"
        if gender_roll < 0.97
        else "other"
        if gender_roll < 0.98
        else None
    )
    if foreign:
        given, surname = (
            rng.choice(parts["foreign"]["given"]),
            rng.choice(parts["foreign"]["surnames"]),
        )
        # E-mail local parts are ASCII: Müller writes mueller.
        name, local = f"{given} {surname}", f"{given}.{surname}".lower().replace("ü", "ue")
        prefecture = None
    else:
        surname_kanji, surname_roman = rng.choice(parts["surnames"])
        by_gender = gender if gender in ("female", "male") else rng.choice(["female", "male"])
        given_kanji, given_roman = rng.choice(parts["given_names"][by_gender])
        name = f"{surname_kanji} {given_kanji}"
        local = rng.choice([f"{given_roman}.{surname_roman}", f"{surname_roman}{given_roman[0]}"])
        prefecture = rng.choices(
            [p[0] for p in parts["prefectures"]], weights=[p[1] for p in parts["prefectures"]]
        )[0]
    email = None
    if rng.random() < 0.9:
        email = (
            f"{local}{rng.randrange(1, 100) if rng.random() < 0.6 else ''}@{rng.choice(_DOMAINS)}"
        )
        while email in emails:
            email = f"{local}{rng.randrange(100, 10000)}@{rng.choice(_DOMAINS)}"
        emails.add(email)
    stage = _weighted(rng, dict(_STAGE_BY_BAND[band].items()))
    interests = rng.sample(parts["interests"], rng.choice([1, 2, 2, 3, 3, 4]))
    if stage == "family_with_kids" and "家族旅行" not in interests and rng.random() < 0.5:
        interests.append("家族旅行")
    segment = rng.choices(["hotel", "shop", "both"], weights=[3, 4.5, 2.5])[0]
    if foreign:
        segment = "hotel"
    new = rng.random() < 0.45
    acquired = rng.triangular(0, SPAN_DAYS, SPAN_DAYS * 0.7) if new else -rng.uniform(30, 2000)
    attributes: dict[str, Any] = {
        "member_rank": rng.choices(["regular", "silver", "gold", "platinum"], [60, 25, 11, 4])[0],
        "registered_via": rng.choice(["web", "app", "store", "hotel_front"]),
        "registered_on": (START.date() + dt.timedelta(days=math.floor(acquired))).isoformat(),
    }
    if foreign:
        attributes["country"] = rng.choice(parts["foreign"]["countries"])
    has_line = not foreign and rng.random() < 0.35
    if has_line:
        attributes["consent_line"] = rng.random() < 0.7
    return Person(
        source="crm",
        external_id=f"C{number:06d}",
        name=name,
        email=email,
        phone=_phone(rng) if not foreign and rng.random() < 0.85 else None,
        line_id=f"U{rng.getrandbits(128):032x}" if has_line else None,
        birthday=_birthday(rng, band) if rng.random() < 0.8 else None,
        age_band=band,
        gender=gender,
        prefecture=prefecture,
        life_stage=stage,
        interests=interests,
        consent_email=rng.random() < 0.6,
        consent_analysis=rng.random() < 0.95,
        attributes=attributes,
        language="en" if foreign else "ja",
        segment=segment,
        acquired=acquired,
        lapsed_before=not new and rng.random() < 0.2,
        rate=rng.gammavariate(0.9, 0.45 / 0.9),
        dropout=rng.betavariate(1.3, 4.5),
        spend=rng.gammavariate(3.0, 5200 / 3.0) + 800,
        activity=rng.lognormvariate(0, 0.7),
        mood=rng.gauss(0, 0.08),
    )


def _shop_copy(rng: random.Random, person: Person, number: int) -> Person:
    """The same person as the online shop's system holds them: e-mail and phone written
    differently, no LINE id, fewer attributes."""
    email = person.email
    if email is not None:
        email = rng.choice([email.upper(), f" {email}", email.capitalize(), email])
    phone = person.phone
    if phone is not None:
        phone = rng.choice([normalize_phone(phone), phone.replace("-", ""), phone])
    return replace(
        person,
        source="shop",
        external_id=f"SHOP-{number:06d}",
        name=person.name.replace(" ", rng.choice(["", "　", " "])),
        email=email,
        phone=phone,
        line_id=None,
        life_stage=None,
        interests=[],
        attributes={"registered_via": "web"},
        segment="shop",
        acquired=min(max(person.acquired, 0.0) + rng.uniform(0, 120), SPAN_DAYS - 1.0),
        lapsed_before=False,
        rate=person.rate * 0.5,
        activity=person.activity * 0.3,
    )


def generate_people(rng: random.Random, count: int) -> list[Person]:
    """`count` customer records: CRM customers and about 2% shop copies of some of them."""
    emails: set[str] = set()
    people = [_make_person(rng, n + 1, emails) for n in range(count - round(count * 0.02))]
    with_email = [p for p in people if p.email is not None and p.segment != "hotel"]
    copies = rng.sample(with_email, min(count - len(people), len(with_email)))
    people.extend(_shop_copy(rng, original, n + 1) for n, original in enumerate(copies))
    while len(people) < count:  # too few to copy: more CRM customers instead
        people.append(_make_person(rng, len(people) + 1, emails))
    return people


def identity_rows(person: Person) -> list[tuple[str, str]]:
    """(kind, normalized value) of every identifier a record carries."""
    found = [(f"external:{person.source}", person.external_id)]
    if person.email:
        found.append(("email", unicodedata.normalize("NFKC", person.email).strip().lower()))
    if person.phone:
        found.append(("phone", normalize_phone(person.phone)))
    if person.line_id:
        found.append(("line_id", person.line_id))
    return found
