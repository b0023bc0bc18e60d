"""The demo's interactions: stays at the hotels, shop purchases, and the browsing, e-mail,
ads, posts and calls around them.

Buying follows the BG/NBD story (Fader, Hardie & Lee 2005): while "alive" a customer
transacts at their own Poisson rate, and after each transaction may leave for good, so a
few buy often, many once, and some lapse; spend per purchase varies around the customer's
own mean (gamma-gamma). Each transaction is an episode (a stay brings a reservation,
check-in, breakfast, bath and checkout; an online order brings product pages, the cart,
delivery, sometimes a return or a call). The rest of the budget is filled with browsing,
e-mail opens and ad views, which fade after a customer lapses. Exact counts: episodes are
thinned to 45% of the budget and the remainder is filled.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from typing import Any

from kizuna.demo.people import Person
from kizuna.demo.timeline import SPAN_DAYS, month_of

__all__ = ["HOTELS", "RENOVATION", "Event", "generate_activity"]

# name: (base rate per room-night in yen, weight)
HOTELS = {
    "絆ホテル 箱根": (32000, 4.0),
    "絆ホテル 京都": (26000, 3.5),
    "絆ホテル 札幌": (18000, 2.5),
}
# The Hakone hotel's renovation: noisy months that dashboards should show as a dip.
RENOVATION = ("絆ホテル 箱根", "2026-02", "2026-03")
STORES = ("絆ストア 銀座店", "絆ストア 梅田店", "絆ストア 博多店")
_EPISODE_SHARE = 0.45

# Local hour weights by channel (people browse in the evening and call in office hours).
_HOURS = {
    "online": [1, 1, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 4, 4, 3, 3, 3, 3, 4, 5, 6, 7, 6, 3],
    "store": [0] * 10 + [3, 4, 5, 5, 4, 4, 4, 5, 5, 4, 2] + [0] * 3,
    "office": [0] * 9 + [5, 6, 6, 4, 5, 6, 5, 4, 3] + [0] * 6,
    "event": [0] * 11 + [2, 3, 5, 5, 4, 3, 2] + [0] * 6,
}

# kind, channel, touchpoint, direct, business, weight, stays after a customer lapses
_FILLER: list[tuple[str, str, str, bool, str, float, bool]] = [
    ("visit", "web", "商品ページ", True, "shop", 18.0, False),
    ("visit", "web", "カート", True, "shop", 4.0, False),
    ("visit", "web", "予約サイト", True, "hotel", 7.0, False),
    ("visit", "app", "アプリホーム", True, "brand", 9.0, False),
    ("visit", "app", "商品ページ", True, "shop", 6.0, False),
    ("visit", "store", "店舗", True, "shop", 3.0, False),
    ("email_open", "email", "メールマガジン", True, "brand", 16.0, True),
    ("ad_view", "web", "ディスプレイ広告", False, "brand", 8.0, True),
    ("ad_view", "sns", "SNS広告", False, "brand", 7.0, True),
    ("sns_post", "sns", "SNS投稿", True, "brand", 1.2, False),
    ("event_attendance", "event", "イベント会場", True, "brand", 1.0, False),
    ("review_post", "review_site", "口コミサイト", True, "hotel", 0.8, False),
    ("community_post", "community", "コミュニティ", True, "brand", 0.8, False),
    ("support_ticket", "call_center", "コールセンター", True, "shop", 1.0, False),
]
_SOURCE = {  # the system each channel's records come from
    "web": "ec",
    "app": "app",
    "store": "pos",
    "call_center": "cti",
    "email": "ma",
    "sns": "social",
    "event": "events",
    "review_site": "reviews",
    "community": "community",
}
_HOUR_CUM = {name: list(itertools.accumulate(w)) for name, w in _HOURS.items()}
_PASSIVE = [f for f in _FILLER if f[6]]
_PASSIVE_CUM = list(itertools.accumulate(f[5] for f in _PASSIVE))
# Filler kinds' cumulative weights by segment: hotel guests rarely browse the shop, and
# shop customers rarely look at the hotels.
_FIT = {"hotel": {"shop": 0.15}, "shop": {"hotel": 0.1}, "both": {}}
_FILLER_CUM = {
    segment: list(itertools.accumulate(f[5] * fit.get(f[4], 1.0) for f in _FILLER))
    for segment, fit in _FIT.items()
}
_EVENTS = (
    "日本酒テイスティング会",
    "親子料理教室",
    "秋の感謝祭",
    "温泉と健康セミナー",
    "新作発表会",
)


@dataclass(slots=True)
class Event:
    """One interaction before it becomes a row; `person` indexes the people list."""

    day: float
    person: int
    channel: str
    touchpoint: str
    kind: str
    direct: bool = True
    amount: float | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    external_id: str = ""


def _at(rng: random.Random, day: float, profile: str) -> float:
    """A moment on `day`'s calendar date at an hour typical of the channel."""
    hour = rng.choices(range(24), cum_weights=_HOUR_CUM[profile])[0]
    return math.floor(day) + (hour + rng.random()) / 24


def _stay(rng: random.Random, person: Person, who: int, day: float) -> list[Event]:
    hotel = rng.choices(list(HOTELS), weights=[w for _, w in HOTELS.values()])[0]
    nights = rng.choices([1, 2, 3], weights=[65, 27, 8])[0]
    family = person.life_stage == "family_with_kids"
    guests = rng.choice([3, 4]) if family else rng.choices([1, 2, 3], weights=[30, 60, 10])[0]
    month = int(month_of(day)[5:])
    season = 1.3 if month in (1, 5, 8, 11, 12) else 1.0
    rate = HOTELS[hotel][0] * season * rng.uniform(0.8, 1.3) * (1 + 0.25 * max(0, guests - 2))
    stay = {"hotel": hotel, "nights": nights, "guests": guests, "business": "hotel"}
    check_in = math.floor(day) + rng.uniform(15, 19) / 24
    events = [
        Event(
            check_in,
            who,
            "store",
            "チェックイン",
            "stay",
            amount=round(rate * nights, -2),
            properties={**stay, "room_type": rng.choice(["和室", "洋室", "和洋室"])},
        ),
    ]
    booked = check_in - rng.uniform(3, 60)
    channel = rng.choices(["web", "app", "call_center"], weights=[60, 20, 20])[0]
    events.append(
        Event(
            booked,
            who,
            channel,
            "電話予約" if channel == "call_center" else "予約サイト",
            "reservation",
            properties={"hotel": hotel, "business": "hotel"},
        )
    )
    if rng.random() < (0.9 if hotel.endswith("箱根") else 0.4):
        events.append(
            Event(
                check_in + rng.uniform(2, 5) / 24,
                who,
                "store",
                "大浴場",
                "facility_use",
                properties={"hotel": hotel, "business": "hotel"},
            )
        )
    if rng.random() < 0.75:
        events.append(
            Event(
                math.floor(check_in) + 1 + rng.uniform(7, 9.5) / 24,
                who,
                "store",
                "朝食",
                "facility_use",
                properties={"hotel": hotel, "business": "hotel"},
            )
        )
    if rng.random() < 0.1:
        events.append(
            Event(
                check_in + rng.uniform(3, 6) / 24,
                who,
                "store",
                "客室",
                "room_service",
                amount=float(rng.choice([2200, 3500, 5800])),
                properties={"hotel": hotel, "business": "hotel"},
            )
        )
    events.append(
        Event(
            math.floor(check_in) + nights + rng.uniform(9.5, 11) / 24,
            who,
            "store",
            "チェックアウト",
            "check_out",
            properties={"hotel": hotel, "business": "hotel"},
        )
    )
    if rng.random() < 0.06:
        events.append(
            Event(
                _at(rng, booked + rng.uniform(1, 20), "office"),
                who,
                "call_center",
                "コールセンター",
                "support_ticket",
                properties={"reason": "reservation_change", "business": "hotel"},
            )
        )
    return events


def _purchase(rng: random.Random, person: Person, who: int, day: float, order: str) -> list[Event]:
    amount = max(500.0, round(rng.gammavariate(4.0, person.spend / 4.0), -1))
    app_share = 20 + 25 * day / SPAN_DAYS  # the app grows as it improves
    channel = rng.choices(["web", "app", "store"], weights=[45, app_share, 25])[0]
    if channel == "store":
        at = _at(rng, day, "store")
        props = {"store": rng.choice(STORES), "business": "shop", "items": rng.randint(1, 4)}
        return [Event(at, who, "store", "レジ", "purchase", amount=amount, properties=props)]
    at = _at(rng, day, "online")
    props = {"order_no": order, "business": "shop", "items": rng.randint(1, 5)}
    events = [Event(at, who, channel, "注文", "purchase", amount=amount, properties=props)]
    if rng.random() < 0.6:
        events.append(Event(at - rng.uniform(5, 90) / 1440, who, channel, "商品ページ", "visit"))
    if rng.random() < 0.5:
        events.append(Event(at - rng.uniform(1, 5) / 1440, who, channel, "カート", "visit"))
    delivered = _at(rng, at + rng.choice([1, 1, 2, 2, 3, 4, 6]), "store")
    ref = {"order_no": order, "business": "shop"}
    events.append(Event(delivered, who, channel, "配送", "delivery", properties=dict(ref)))
    if rng.random() < 0.04:
        events.append(
            Event(
                _at(rng, delivered + rng.uniform(2, 12), "online"),
                who,
                channel,
                "返品",
                "return",
                properties=dict(ref),
            )
        )
    if rng.random() < 0.07:
        via = rng.choices(["call_center", "email", "app"], weights=[60, 25, 15])[0]
        place = {
            "call_center": "コールセンター",
            "email": "お問い合わせフォーム",
            "app": "チャット",
        }
        reason = rng.choice(["delivery_delay", "damaged_item", "return_request", "size_exchange"])
        events.append(
            Event(
                _at(rng, at + rng.uniform(1, 10), "office"),
                who,
                via,
                place[via],
                "support_ticket",
                properties={**ref, "reason": reason},
            )
        )
    return events


def _transaction_days(rng: random.Random, person: Person) -> tuple[list[float], float]:
    """Days of a customer's transactions in the window and the day they lapse (inf: never)."""
    if person.lapsed_before:
        return [], -math.inf
    days: list[float] = []
    t = max(person.acquired, 0.0)
    if person.acquired >= 0 and rng.random() < 0.85:
        days.append(t)  # most newcomers join with a first purchase
    while True:
        t += rng.expovariate(person.rate / 30)
        if t >= SPAN_DAYS:
            return days, math.inf
        days.append(t)
        if rng.random() < person.dropout:
            return days, t


def generate_activity(rng: random.Random, people: list[Person], total: int) -> list[Event]:
    """Exactly `total` interactions, sorted by time, with external ids I0000001…"""
    episodes: list[list[Event]] = []
    lapsed: list[float] = []
    orders = 0
    for who, person in enumerate(people):
        days, gone = _transaction_days(rng, person)
        lapsed.append(gone)
        for day in days:
            hotel = person.segment == "hotel" or (person.segment == "both" and rng.random() < 0.35)
            if hotel:
                episode = _stay(rng, person, who, day)
            else:
                orders += 1
                episode = _purchase(rng, person, who, day, f"ORD-{orders:07d}")
            episode = [e for e in episode if 0 <= e.day < SPAN_DAYS]
            if episode:
                episodes.append(episode)
    # Thin whole episodes at random (a thinned Poisson process is still Poisson).
    rng.shuffle(episodes)
    budget = int(total * _EPISODE_SHARE)
    events: list[Event] = []
    for episode in episodes:
        if len(events) + len(episode) <= budget:
            events.extend(episode)
    events.extend(_fill(rng, people, lapsed, total - len(events)))
    events.sort(key=lambda e: (e.day, e.person, e.kind, e.touchpoint))
    for number, event in enumerate(events, start=1):
        event.source = _SOURCE[event.channel] if event.kind != "stay" else "pms"
        event.external_id = f"I{number:07d}"
    return events


def _fill(rng: random.Random, people: list[Person], lapsed: list[float], count: int) -> list[Event]:
    """Browsing, e-mail opens, ad views, posts and calls, spread over customers by activity."""
    if count <= 0 or not people:
        return []
    weights = [p.activity * (0.3 if p.lapsed_before else 1.0) for p in people]
    who_list = rng.choices(range(len(people)), weights=weights, k=count)
    events = []
    for who in who_list:
        person = people[who]
        kinds = rng.choices(_FILLER, cum_weights=_FILLER_CUM[person.segment])[0]
        day = rng.uniform(min(max(person.acquired, 0.0), SPAN_DAYS - 1.0), SPAN_DAYS)
        if day > lapsed[who] + 30 and not kinds[6]:
            kinds = rng.choices(_PASSIVE, cum_weights=_PASSIVE_CUM)[0]
        kind, channel, touchpoint, direct, business, _, _ = kinds
        profile = {"store": "store", "call_center": "office", "event": "event"}.get(
            channel, "online"
        )
        at = _at(rng, day, profile)
        props: dict[str, Any] = {"business": business}
        if kind in ("email_open", "ad_view"):
            props["campaign"] = f"{month_of(at)}-{rng.choice(['seasonal', 'member', 'sale'])}"
        elif kind == "event_attendance":
            props["event"] = rng.choice(_EVENTS)
        elif kind == "support_ticket":
            props["reason"] = rng.choice(["question", "membership", "payment", "complaint"])
        events.append(Event(at, who, channel, touchpoint, kind, direct, None, props))
    return events
