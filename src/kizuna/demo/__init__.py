"""The demo workspace: a realistic Japanese hotel and online shop, deterministic by seed.

`build_demo(kz, ...)` builds it (other rooms' tests call it with small sizes);
`kizuna demo` builds it with a progress bar and starts the server. Modules: `people`
(customers), `activity` (interactions), `comments` + `data/*.yaml` (comment parts),
`voices` (feedback and eNPS), `timeline` (the fixed calendar), `build` (the DB writes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kizuna.lazy import lazy_exports

if TYPE_CHECKING:
    from kizuna.demo.build import (
        DEMO_EMAIL,
        DEMO_NAME,
        DEMO_PASSWORD,
        DEMO_SLUG,
        DemoSummary,
        ProgressFn,
        build_demo,
    )

__all__ = [
    "DEMO_EMAIL",
    "DEMO_NAME",
    "DEMO_PASSWORD",
    "DEMO_SLUG",
    "DemoSummary",
    "ProgressFn",
    "build_demo",
]
__getattr__ = lazy_exports(__name__, dict.fromkeys(__all__, "kizuna.demo.build"))
