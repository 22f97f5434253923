"""How a count hidden by `core.disclosure` is written, one rule for every page that shows protected tables (the
insights pages, charts, exports and reports; the Ombudsman monitors' trends).

When nothing was hidden to protect another count, every hidden count is small: it reads "fewer than N". When some
were hidden only so that a small one cannot be worked out from the totals, a hidden count may be large, so every one
reads "hidden": labelling only the small ones would point at them, which the complements are there to prevent.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .disclosure import ProtectedTable


def fewer_than(threshold: int) -> str:
    return _("fewer than %(n)s") % {"n": threshold}


def hidden_words(table: ProtectedTable, threshold: int) -> str:
    if table.withheld:
        return _("withheld")
    if table.complementary == 0:
        return fewer_than(threshold)
    return _("hidden")


def shown(value: int | None, words: str) -> str:
    """A count as text: the number, or the table's words for a hidden one (never "0")."""
    return words if value is None else str(value)
