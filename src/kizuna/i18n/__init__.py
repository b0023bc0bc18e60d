"""Languages: one message catalog for pages, e-mails, errors and the CLI.

Catalogs are Babel `.po` files under `i18n/locale/<lang>/LC_MESSAGES/messages.po`, read once
into plain dicts (no compile step). The msgid is the English text, so English needs no
translation and a missing Japanese entry shows English rather than a key. Japanese is the
default language. `kizuna.i18n.vocabulary` names every stored code in both languages.
Nothing here knows the web: choosing a request's language is `kizuna.web.i18n`.
"""

from kizuna.i18n.catalog import LANGUAGES, Catalogs, catalogs, load_catalogs

__all__ = ["LANGUAGES", "Catalogs", "catalogs", "load_catalogs"]
