"""The website widget's snippets: one script tag, or an iframe, both served by Kizuna.

The script (`/s/widget.js`, a static file of this room) opens the survey in an iframe after
a delay or on an event of the page; the iframe variant embeds the survey in place. Either
way the survey page is only framed by the sites listed in the workspace's survey settings
(Content-Security-Policy frame-ancestors), and the customer's page loads nothing from
anyone but Kizuna.
"""

from __future__ import annotations

from html import escape

from kizuna.settings import Settings
from kizuna.surveys.models import Survey

__all__ = ["iframe_snippet", "widget_snippet"]


def widget_snippet(
    settings: Settings, survey: Survey, *, delay: int = 10, event: str | None = None
) -> str:
    """The script tag to paste before </body>."""
    trigger = f'data-event="{escape(event)}"' if event else f'data-delay="{delay}"'
    return (
        f'<script src="{settings.public_url}/s/widget.js" data-survey="{survey.key}" '
        f'{trigger} data-days="30" async></script>'
    )


def iframe_snippet(settings: Settings, survey: Survey, *, height: int = 640) -> str:
    """The iframe to embed the survey in a page."""
    title = escape(survey.name)
    return (
        f'<iframe src="{settings.public_url}/s/{survey.key}?embed=1&amp;ch=widget" '
        f'title="{title}" style="width:100%;max-width:40rem;height:{height}px;border:0" '
        'loading="lazy"></iframe>'
    )
