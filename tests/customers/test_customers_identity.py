"""Normalisation of identifiers: every common writing -> one value; junk -> None.

Each case runs through the scalar function and the vectorised one, which must agree.
"""

from __future__ import annotations

import pandas as pd
import pytest

from kizuna.customers.identity import (
    external_kind,
    normalize_email,
    normalize_emails,
    normalize_external_id,
    normalize_external_ids,
    normalize_line_id,
    normalize_line_ids,
    normalize_phone,
    normalize_phones,
)

MOBILE = "+819012345678"
PHONES = [
    ("090-1234-5678", MOBILE),
    ("09012345678", MOBILE),
    ("090 1234 5678", MOBILE),
    ("+81 90 1234 5678", MOBILE),
    ("+81-90-1234-5678", MOBILE),
    ("81-90-1234-5678", MOBILE),
    ("+81 (0)90-1234-5678", MOBILE),
    ("0081-90-1234-5678", MOBILE),
    ("010-81-90-1234-5678", MOBILE),
    ("０９０－１２３４－５６７８", MOBILE),
    ("（０９０）１２３４－５６７８", MOBILE),
    ("(03) 1234-5678", "+81312345678"),
    ("03-1234-5678", "+81312345678"),
    ("+81 3 1234 5678", "+81312345678"),
    ("03-1234-5678 内線 123", "+81312345678"),
    ("06-6123-4567 ext. 9", "+81661234567"),
    ("0120-123-456", "+81120123456"),
    ("0800-123-4567", "+818001234567"),
    ("050-1234-5678", "+815012345678"),
    ("+1 415 555 2671", "+14155552671"),
    ("000-0000-0000", None),
    ("090-0000-0000", None),
    ("0000000000", None),
    ("012-345-6789", None),
    ("090-123-4567", None),  # a mobile number needs 11 digits
    ("03-1234-56789", None),
    ("12345", None),
    ("abc", None),
    ("", None),
    ("   ", None),
    (None, None),
]
EMAILS = [
    ("taro@example.jp", "taro@example.jp"),
    ("  Taro.Yamada@Example.CO.JP ", "taro.yamada@example.co.jp"),
    ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "taro@example.jp"),
    ("taro @ example.jp", "taro@example.jp"),
    ("TARO+shop@example.jp", "taro+shop@example.jp"),  # plus-tags kept (documented)
    ("t.a.r.o@gmail.com", "t.a.r.o@gmail.com"),  # dots kept (documented)
    ("none@example.jp", None),
    ("none", None),
    ("taro@", None),
    ("@example.jp", None),
    ("taro@example", None),
    ("ta..ro@example.jp", None),
    ("taro@@example.jp", None),
    ("", None),
    (None, None),
]
LINES = [
    ("U4af4980629ffffffffffffffffff12ab", "U4af4980629ffffffffffffffffff12ab"),
    ("U4AF4980629FFFFFFFFFFFFFFFFFF12AB", "U4af4980629ffffffffffffffffff12ab"),
    ("Taro_Yamada", "taro_yamada"),
    ("ｔａｒｏ", "taro"),
    (" @shop.jp ", "@shop.jp"),
    ("none", None),
    ("なし", None),
    ("x", None),
    ("", None),
    (None, None),
]
EXTERNAL = [(" C-001 ", "C-001"), ("c-001", "c-001"), ("null", None), ("", None), (None, None)]


def _both(scalar, vector, cases):  # type: ignore[no-untyped-def]
    given = pd.Series([raw for raw, _ in cases], dtype=object)
    vectorised = [None if pd.isna(v) else v for v in vector(given)]
    return [scalar(raw) for raw, _ in cases], vectorised


@pytest.mark.parametrize(
    ("scalar", "vector", "cases"),
    [
        (normalize_phone, normalize_phones, PHONES),
        (normalize_email, normalize_emails, EMAILS),
        (normalize_line_id, normalize_line_ids, LINES),
        (normalize_external_id, normalize_external_ids, EXTERNAL),
    ],
    ids=["phone", "email", "line", "external"],
)
def test_identifiers_normalise_to_one_value_and_junk_to_none(scalar, vector, cases) -> None:  # type: ignore[no-untyped-def]
    expected = [want for _, want in cases]
    one_by_one, vectorised = _both(scalar, vector, cases)
    assert one_by_one == expected
    assert vectorised == expected


def test_external_kind_names_the_source_system() -> None:
    assert external_kind(" Shopify ") == "external:shopify"
