"""Identifier normalisation for identity resolution: pure functions, no database.

Each identifier kind has a scalar function (one value -> normalised text or None) and a
vectorised one over a pandas Series (1 M values in about a second, Arrow string kernels).
None means "not usable for matching": empty, malformed or a known junk value. Both forms
must agree; the tests run the same table through both.

Choices, documented because they decide who is merged:
- e-mail: NFKC (full-width letters and ＠), all whitespace removed, lower-cased whole
  (RFC 5321 allows a case-sensitive local part; no provider in use treats it so). Dots and
  "+tags" are KEPT: only some providers ignore them, and families or shops share a mailbox
  with tags, so stripping them would merge different people.
- phone: Japanese numbers in any common writing (hyphens, brackets, spaces, full-width
  digits, +81 / 81 / 0081 / 010-81, a stray trunk 0 after the country code) become E.164
  `+81` + national significant number, checked against the numbering plan's lengths
  (mobile/IP 070/080/090/050/020 have 11 digits with the 0, other numbers 10; 0800 free
  dial 11). Other countries written with "+" are kept as "+" and 8-15 digits (ITU-T E.164).
- LINE: user ids from the Messaging API ("U" + 32 hex) keep their form; other LINE ids are
  NFKC and lower-cased (LINE ids are case-insensitive).
- external ids: kept as the source system wrote them, only trimmed of spaces (system keys
  are exact; the same rule runs in SQL as TRIM when identities are built in the database).
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "JUNK_TEXT",
    "RULES_VERSION",
    "external_kind",
    "normalize_email",
    "normalize_emails",
    "normalize_external_id",
    "normalize_external_ids",
    "normalize_line_id",
    "normalize_line_ids",
    "normalize_phone",
    "normalize_phones",
]

# Bump on any change to the rules below: the next resolve then re-reads every customer
# instead of only those whose columns changed (see kizuna.customers.sync).
RULES_VERSION = 1

# Values people type when they have nothing to give; never identifiers.
JUNK_TEXT = frozenset(
    {
        "",
        "-",
        "--",
        "0",
        "none",
        "null",
        "nil",
        "n/a",
        "na",
        "nan",
        "unknown",
        "test",
        "なし",
        "不明",
    }
)
# Local parts of placeholder addresses ("none@example.com", "noemail@shop.jp").
_JUNK_LOCAL = frozenset({"none", "null", "noemail", "no-email", "nomail", "dummy", "unknown", "na"})

_EMAIL = r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)+$"
_EMAIL_RE = re.compile(_EMAIL)
_WS = r"\s+"
# Python's \s on ASCII text; RE2's \s lacks \x1c-\x1f, so the class is spelled out.
_ASCII_WS = r"[\t\n\x0b\x0c\r\x1c-\x1f ]+"
_EXTENSION = r"(?i)(ext\.?|内線|x).*$"
_LINE_USER = r"^[Uu][0-9a-fA-F]{32}$"
_LINE_ID = r"^[a-z0-9._@-]{2,50}$"
_MOBILE_PREFIXES = ("020", "050", "070", "080", "090")


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def _nfkc_series(values: pd.Series) -> pd.Series:
    """NFKC only where a value is not plain ASCII (ASCII is already NFKC-normal)."""
    text = values.astype("string[pyarrow]")
    ascii_mask = _ascii_mask(text)
    if bool(ascii_mask.all()):
        return text
    out = text.copy()
    out[~ascii_mask] = text[~ascii_mask].map(_nfkc, na_action="ignore")
    return out


def _ascii_mask(text: pd.Series) -> pd.Series:
    """True where a value is plain ASCII (or missing), by Arrow's byte check."""
    arrow = pa.array(text.array, type=pa.large_string())
    mask = pc.fill_null(pc.string_is_ascii(arrow), True).to_numpy(zero_copy_only=False)
    return pd.Series(mask, index=text.index)


def _remove_whitespace(text: pd.Series) -> pd.Series:
    """`re.sub(r"\\s+", "", v)` for every value: Arrow's RE2 on ASCII, Python's re elsewhere."""
    ascii_mask = _ascii_mask(text)
    out = text.str.replace(_ASCII_WS, "", regex=True)
    if not bool(ascii_mask.all()):
        out[~ascii_mask] = text[~ascii_mask].map(lambda v: re.sub(_WS, "", v), na_action="ignore")
    return out


# ---------------------------------------------------------------- e-mail


def normalize_email(value: str | None) -> str | None:
    """`' Taro.Yamada＠Example.CO.JP '` -> `'taro.yamada@example.co.jp'`; junk -> None."""
    if value is None:
        return None
    text = re.sub(_WS, "", _nfkc(value)).lower()
    if not _EMAIL_RE.match(text) or ".." in text:
        return None
    if text.split("@", 1)[0] in _JUNK_LOCAL:
        return None
    return text


def normalize_emails(values: pd.Series) -> pd.Series:
    """Vectorised `normalize_email`; returns a string Series with <NA> for unusable values."""
    text = _remove_whitespace(_nfkc_series(values)).str.lower()
    ok = text.str.match(_EMAIL).fillna(False).astype(bool)
    ok &= ~text.str.contains("..", regex=False).fillna(False).astype(bool)
    junk = "^(?:" + "|".join(re.escape(local) for local in sorted(_JUNK_LOCAL)) + ")@"
    ok &= ~text.str.match(junk).fillna(False).astype(bool)
    return text.where(ok)


# ---------------------------------------------------------------- phone


def _national_ok(national: str) -> bool:
    """Numbering-plan length check and junk check on a national number with its 0."""
    if not national.startswith("0") or national.startswith("00"):
        return False
    if national.startswith(_MOBILE_PREFIXES) or national.startswith("0800"):
        if len(national) != 11:
            return False
    elif len(national) != 10:
        return False
    subscriber = national[-8:]
    return len(set(national[1:])) > 1 and subscriber != "0" * 8 and national[1:] != "123456789"


def normalize_phone(value: str | None) -> str | None:
    """`'090-1234-5678'`, `'+81 90 1234 5678'`, `'(03) 1234-5678'` -> E.164; junk -> None."""
    if value is None:
        return None
    text = re.sub(_EXTENSION, "", _nfkc(value)).strip()
    plus = text.startswith("+")
    digits = re.sub(r"\D", "", text)
    if not plus:
        for prefix in ("0081", "01081"):
            if digits.startswith(prefix):
                digits, plus = digits[len(prefix) - 2 :], True
                break
        else:
            if digits.startswith("81"):  # national numbers start with 0, so 81 is the country
                plus = True
    if plus and not digits.startswith("81"):
        return "+" + digits if 8 <= len(digits) <= 15 and len(set(digits)) > 1 else None
    national = digits[2:] if plus else digits
    if plus and not national.startswith("0"):
        national = "0" + national
    return "+81" + national[1:] if _national_ok(national) else None


def normalize_phones(values: pd.Series) -> pd.Series:
    """Vectorised `normalize_phone` (same rules, Arrow string kernels and NumPy masks)."""
    text = _nfkc_series(values).str.replace(_EXTENSION, "", regex=True).str.strip()
    plus = text.str.startswith("+").fillna(False).astype(bool).to_numpy().copy()
    digits = text.str.replace(r"\D", "", regex=True)
    for prefix in ("0081", "01081"):
        hit = (~plus) & digits.str.startswith(prefix).fillna(False).astype(bool).to_numpy()
        digits = digits.where(~hit, digits.str.slice(len(prefix) - 2))
        plus |= hit
    starts81 = digits.str.startswith("81").fillna(False).astype(bool).to_numpy()
    plus |= starts81
    length = digits.str.len().fillna(0).astype(int).to_numpy()
    distinct = _distinct_digit_counts(digits)
    foreign = plus & ~starts81
    foreign_ok = foreign & (length >= 8) & (length <= 15) & (distinct > 1)
    national = digits.where(~plus, digits.str.slice(2))
    no_trunk = plus & ~national.str.startswith("0").fillna(False).astype(bool).to_numpy()
    national = national.where(~no_trunk, "0" + national)
    nat_len = national.str.len().fillna(0).astype(int).to_numpy()
    long_prefix = national.str.match(r"^0(?:[25789]0|800)").fillna(False).astype(bool).to_numpy()
    national_ok = (
        national.str.match(r"^0[1-9]").fillna(False).astype(bool).to_numpy()
        & np.where(long_prefix, nat_len == 11, nat_len == 10)
        & (_distinct_digit_counts(national.str.slice(1)) > 1)
        & (national.str.slice(-8) != "0" * 8).fillna(False).astype(bool).to_numpy()
        & (national.str.slice(1) != "123456789").fillna(False).astype(bool).to_numpy()
        & ~foreign
    )
    out = pd.Series(pd.NA, index=values.index, dtype="string[pyarrow]")
    out[foreign_ok] = "+" + digits[foreign_ok]
    out[national_ok] = "+81" + national[national_ok].str.slice(1)
    return out


def _distinct_digit_counts(digits: pd.Series) -> np.ndarray:
    """How many different digits each value has (1 for '0000000000': a junk number)."""
    filled = digits.fillna("")
    counts = np.zeros(len(filled), dtype=np.int64)
    for d in "0123456789":
        counts += filled.str.contains(d, regex=False).fillna(False).astype(bool).to_numpy()
    return counts


# ---------------------------------------------------------------- LINE and external ids


def normalize_line_id(value: str | None) -> str | None:
    """LINE user id `'U4af4980629...'` kept (hex lower-cased); other ids NFKC + lower."""
    if value is None:
        return None
    text = _nfkc(value).strip()
    if re.match(_LINE_USER, text):
        return "U" + text[1:].lower()
    text = text.lower()
    if text in JUNK_TEXT or not re.match(_LINE_ID, text):
        return None
    return text


def normalize_line_ids(values: pd.Series) -> pd.Series:
    """Vectorised `normalize_line_id`."""
    text = _nfkc_series(values).str.strip()
    user = text.str.match(_LINE_USER).fillna(False).astype(bool)
    lowered = text.str.lower()
    ok = lowered.str.match(_LINE_ID).fillna(False).astype(bool) & ~lowered.isin(JUNK_TEXT)
    out = lowered.where(ok)
    return out.where(~user, "U" + text.str.slice(1).str.lower())


def normalize_external_id(value: str | None) -> str | None:
    """A source system's key, trimmed; junk placeholders -> None."""
    if value is None:
        return None
    text = value.strip(" ")
    return None if text.lower() in JUNK_TEXT else text


def normalize_external_ids(values: pd.Series) -> pd.Series:
    """Vectorised `normalize_external_id`."""
    text = values.astype("string[pyarrow]").str.strip(" ")
    return text.where(~text.str.lower().isin(JUNK_TEXT))


def external_kind(source: str) -> str:
    """The identity kind of a source system's key: `external:<source>` (trimmed, lower-case)."""
    return "external:" + source.strip(" ").lower()
