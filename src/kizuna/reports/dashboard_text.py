"""Words of the dashboard's value, engagement, response-rate and segment widgets, in Japanese
and English, with each measure's definition (the hover and help text).

They are kept here, beside the widgets, until they move into the shared message catalog
(`kizuna/i18n/locale/*/messages.po`, another room's file); `text_of(lang)` gives the page a
`t(key)` that speaks the page's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["MEASURES", "TEXT", "text_of"]

# key -> (English, Japanese)
TEXT: dict[str, tuple[str, str]] = {
    "value_title": ("Value and engagement", "顧客価値とエンゲージメント"),
    "value_hint": (
        "Whose: the segment or persona chosen (every customer without one); a voice filter "
        "narrows them to the customers who gave a matching voice in the period.",
        "対象: 選んだセグメントまたはペルソナの顧客（なければ全顧客）。声の絞り込みがあるときは、"
        "期間内にそれに当てはまる声を寄せた顧客に絞ります。",
    ),
    "scope_all": ("All customers", "全顧客"),
    "scope_group": ("Customers of the segment or persona", "セグメント・ペルソナの顧客"),
    "scope_respondents": (
        "Customers who gave a matching voice in the period",
        "期間内に条件に合う声を寄せた顧客",
    ),
    "measure": ("Measure", "指標"),
    "value": ("Value", "値"),
    "definition": ("Definition", "定義"),
    "responses_title": ("Response rate", "回答率"),
    "responses_hint": (
        "Survey invitations sent in the period and the share completed, with a 95% interval.",
        "期間内に送ったアンケート依頼と、そのうち回答が完了した割合（95%区間つき）。",
    ),
    "voices_in_period": ("Voices in the period", "期間内の声"),
    "invitations_sent": ("Invitations sent", "送信した依頼"),
    "invitations_completed": ("Completed", "回答完了"),
    "no_invitations": (
        "No survey invitations were sent in this period.",
        "この期間に送ったアンケート依頼はありません。",
    ),
    "invitations_ignore": (
        "Invitations are not split by: {names}.",
        "依頼は次の条件では絞り込めません: {names}",
    ),
    "segment": ("Segment", "セグメント"),
    "persona": ("Persona", "ペルソナ"),
    "group_note": (
        "Figures for the chosen segment or persona are computed from its customers' voices "
        "(they are not in the daily rollups), and cached for a few minutes.",
        "選んだセグメント・ペルソナの数値は、その顧客の声から計算しています（日次集計には含まれません）。"
        "数分間キャッシュされます。",
    ),
    "filter_hint": (
        "Filters combine: every widget shows the voices that match all of them.",
        "絞り込みは組み合わせられます。すべての条件に合う声を各ウィジェットに表示します。",
    ),
    "show_table": ("Show as a table", "表で見る"),
}

# measure -> (English name, Japanese name, English definition, Japanese definition, kind)
MEASURES: dict[str, tuple[str, str, str, str, str]] = {
    "customers": (
        "Customers",
        "顧客数",
        "Customers the card covers.",
        "このカードの対象の顧客数。",
        "count",
    ),
    "clv_customers": (
        "Customers with a CLV",
        "CLVのある顧客",
        "Customers whose latest score has a 12-month CLV.",
        "最新のスコアに12か月CLVがある顧客数。",
        "count",
    ),
    "clv_mean": (
        "CLV, mean",
        "CLV（平均）",
        "Mean of the customers' latest 12-month discounted CLV (yen).",
        "顧客の最新の12か月CLV（割引後、円）の平均。",
        "money",
    ),
    "clv_total": (
        "CLV, total",
        "CLV（合計）",
        "Sum of the customers' latest 12-month discounted CLV (yen).",
        "顧客の最新の12か月CLV（割引後、円）の合計。",
        "money",
    ),
    "buyers": (
        "Buyers",
        "購入顧客",
        "Customers with a purchase or stay in the period.",
        "期間内に購入または宿泊があった顧客数。",
        "count",
    ),
    "repeat_buyers": (
        "Repeat buyers",
        "リピート顧客",
        "Buyers with purchases on two or more days in the period.",
        "期間内に2日以上購入があった顧客数。",
        "count",
    ),
    "repeat_rate": (
        "Repeat rate",
        "リピート率",
        "Repeat buyers as a share of buyers (%).",
        "購入顧客のうちリピート顧客の割合（%）。",
        "percent",
    ),
    "revenue": (
        "Revenue",
        "売上",
        "Amounts of the period's purchases (yen).",
        "期間内の購入金額の合計（円）。",
        "money",
    ),
    "promoters": (
        "Promoters who bought",
        "推奨者（購入あり）",
        "Buyers whose latest NPS answer by the period's end is 9-10.",
        "期間末までの最新のNPS回答が9〜10の購入顧客数。",
        "count",
    ),
    "promoter_revenue": (
        "Revenue of promoters",
        "推奨者の売上",
        "The period's purchases of those promoters (yen).",
        "その推奨者の期間内の購入金額（円）。",
        "money",
    ),
    "detractors": (
        "Detractors who bought",
        "批判者（購入あり）",
        "Buyers whose latest NPS answer by the period's end is 0-6.",
        "期間末までの最新のNPS回答が0〜6の購入顧客数。",
        "count",
    ),
    "detractor_revenue": (
        "Revenue of detractors",
        "批判者の売上",
        "The period's purchases of those detractors (yen).",
        "その批判者の期間内の購入金額（円）。",
        "money",
    ),
    "active": (
        "Active customers",
        "アクティブ顧客",
        "Customers with any interaction or voice in the period.",
        "期間内に何らかの接点または声があった顧客数。",
        "count",
    ),
    "participants": (
        "Took part in events or community",
        "イベント・コミュニティ参加",
        "Customers with an event or community interaction in the period.",
        "期間内にイベントまたはコミュニティの接点があった顧客数。",
        "count",
    ),
    "participation_rate": (
        "Participation rate",
        "参加率",
        "Those participants as a share of active customers (%).",
        "アクティブ顧客のうち参加した顧客の割合（%）。",
        "percent",
    ),
    "event_participants": (
        "Event participants",
        "イベント参加者",
        "Customers with an event attendance (or an interaction on the event channel).",
        "イベント参加（またはイベントチャネルの接点）があった顧客数。",
        "count",
    ),
    "community_participants": (
        "Community participants",
        "コミュニティ参加者",
        "Customers with a community post (or an interaction on the community channel).",
        "コミュニティ投稿（またはコミュニティチャネルの接点）があった顧客数。",
        "count",
    ),
}


def text_of(lang: str) -> Callable[..., str]:
    """`t(key, **values)` in the page's language (Japanese unless "en")."""
    at = 0 if lang == "en" else 1

    def t(key: str, **values: Any) -> str:
        if key.startswith("measure:") or key.startswith("define:"):
            kind, name = key.split(":", 1)
            spec = MEASURES[name]
            return spec[at] if kind == "measure" else spec[2 + at]
        text = TEXT[key][at]
        return text.format(**values) if values else text

    return t
