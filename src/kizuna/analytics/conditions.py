"""One condition language for rules, segments and next best actions. Pure.

A condition is a leaf `{"field", "op", "value"}` or a group `{"all": [...]}`,
`{"any": [...]}`, `{"not": condition}`; a plain list means "all of these" (segments store
that). Which fields exist, what kind each is and which operators apply are given by the
caller (a segment knows customers, a rule knows voices and customers), so one grammar
serves every room:

    kind    operators (default)                                   value
    number  eq ne in not_in gte gt lte lt is_null not_null         a number (a list for in)
    text    eq ne in not_in is_null not_null                       text (a list for in)
    code    eq ne in not_in is_null not_null                       a stored code
    bool    eq ne                                                  true or false
    list    contains contains_any not_contains                     text (a list for _any)
    words   has_words not_has_words is_null not_null               a list of words

A missing fact (None, NaN) satisfies only `ne`, `not_in`, `not_contains`, `not_has_words`
and `is_null`, the same way everywhere: `matches` (one mapping of facts), `evaluate_frame`
(a pandas frame, vectorised, for thousands of voices at once) and `compile_sql` (a
SQLAlchemy expression, for counting customers where they are stored).

`validate_conditions` checks a condition against the fields and answers InvalidInput in
English and Japanese naming the condition ("Condition 2" / "条件 2"); `impossible` finds
conditions that can never hold (a score above its scale, `nps gte 9` together with
`nps lte 6`, a code that does not exist) so a rule is refused before it is switched on.

The language lives in small rooms, re-exported here (import from this module): the
grammar and `matches` in `_condition_grammar`, checking in `_condition_checks`, frames in
`_condition_frames`, SQL in `_condition_sql`. Nothing here imports SQLAlchemy or pandas at
module level: both are imported by the functions that need them, so
`kizuna.analytics.actions` stays light.
"""

from __future__ import annotations

from kizuna.analytics._condition_checks import (
    MAX_CONDITIONS,
    MAX_LIST_VALUES,
    MAX_TOTAL_VALUES,
    Impossible,
    impossible,
    validate_conditions,
)
from kizuna.analytics._condition_frames import evaluate_frame
from kizuna.analytics._condition_grammar import (
    KIND_OPS,
    OPERATORS,
    Fields,
    FieldSpec,
    leaves,
    matches,
    referenced_fields,
)
from kizuna.analytics._condition_sql import compile_sql

__all__ = [
    "KIND_OPS",
    "MAX_CONDITIONS",
    "MAX_LIST_VALUES",
    "MAX_TOTAL_VALUES",
    "OPERATORS",
    "FieldSpec",
    "Fields",
    "Impossible",
    "compile_sql",
    "evaluate_frame",
    "impossible",
    "leaves",
    "matches",
    "referenced_fields",
    "validate_conditions",
]
