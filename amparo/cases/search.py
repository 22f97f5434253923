"""Finding a case by its code, or by her name or document without decrypting the table (issue 13, item 2).

Names and documents are encrypted at rest (DESIGN.md rule 3), so the database cannot compare them. Each case keeps
a blind index (`CaseSearchToken`, built by `core/blind_index.py`): the name as folded words, the document as one
compact token (and its digits alone), each a truncated HMAC under a subkey of the case's organisation and the
field. A query is folded the same way; the cases whose tokens match, within what the reader may see, are the
candidates; only those are decrypted, to drop the rare false match of a truncated HMAC. What the index leaks, and
why that is acceptable, is in docs/security.md ("Case search").

Matching is on whole words: "Valentina Rubí" finds "Valentina Secreta-Rubí"; "Vale" does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import QuerySet

from amparo.core.blind_index import blind_token, compact_tokens, word_tokens

from .models import CODE_ALPHABET, Case, CaseSearchToken

MAX_RESULTS = 50
_CODE = re.compile(rf"^C-?([{CODE_ALPHABET}]{{4}})-?([{CODE_ALPHABET}]{{4}})$")
Field = CaseSearchToken.Field


def _scope(case_or_org_id: int) -> str:
    return f"org:{case_or_org_id}"


def index_tokens(case: Case) -> list[CaseSearchToken]:
    scope = _scope(case.organization_id)
    rows = [CaseSearchToken(case=case, field=Field.NAME, token=blind_token(scope, Field.NAME, t))
            for t in word_tokens(case.full_name or "")]  # fmt: skip
    rows += [CaseSearchToken(case=case, field=Field.DOCUMENT, token=blind_token(scope, Field.DOCUMENT, t))
             for t in compact_tokens(case.document or "")]  # fmt: skip
    return rows


def case_search_reindex(case: Case) -> None:
    """Rebuild the case's blind index from its name and document. Called by the writes that change them, inside
    their transaction, and by `manage.py reindex_case_search` after CASE_SEARCH_KEY changes."""
    CaseSearchToken.objects.filter(case=case).delete()
    CaseSearchToken.objects.bulk_create(index_tokens(case))


def code_of(query: str) -> str | None:
    """A case code however it was typed ("c-abcd-2345", "CABCD2345"), or None."""
    match = _CODE.match(re.sub(r"\s+", "", query).upper())
    return f"C-{match.group(1)}-{match.group(2)}" if match else None


@dataclass(frozen=True)
class SearchOutcome:
    cases: list[Case]
    kind: str  # "code", "name_or_document", or "" (nothing searchable in the query)
    terms: int  # how many tokens were looked up (audited; never the tokens themselves)


def _matching(cases: QuerySet[Case], field: str, tokens: list[str], *, every: bool) -> set[int]:
    """Ids of cases (each in its own organisation's keys) whose index holds every (or any) of the tokens."""
    organisations = list(cases.order_by().values_list("organization_id", flat=True).distinct())
    per_token = []
    for token in tokens:
        hashes = [blind_token(_scope(org), field, token) for org in organisations]
        rows = CaseSearchToken.objects.filter(case__in=cases.values("pk"), field=field, token__in=hashes)
        per_token.append(set(rows.values_list("case_id", flat=True)))
    if not per_token:
        return set()
    return set.intersection(*per_token) if every else set.union(*per_token)


def search_cases(cases: QuerySet[Case], query: str) -> SearchOutcome:
    """The cases among `cases` (pass `amparo.access.cases_for_user(user)`) matching the query: by code, or by every
    word of her name, or by her document. Candidates are confirmed by decrypting only them."""
    code = code_of(query)
    if code is not None:
        return SearchOutcome(list(cases.filter(code=code).select_related("organization", "place")), "code", 1)
    words = word_tokens(query)
    compact = compact_tokens(query)
    if not words and not compact:
        return SearchOutcome([], "", 0)
    ids = _matching(cases, Field.NAME, words, every=True) if words else set()
    ids |= _matching(cases, Field.DOCUMENT, compact, every=False) if compact else set()
    candidates = cases.filter(pk__in=sorted(ids)).select_related("organization", "place").order_by("-opened_at", "-pk")
    confirmed = []
    for case in candidates[: MAX_RESULTS * 2]:
        name_words = set(word_tokens(case.full_name or "", min_length=1))
        if (words and set(words) <= name_words) or (set(compact) & set(compact_tokens(case.document or ""))):
            confirmed.append(case)
    return SearchOutcome(confirmed[:MAX_RESULTS], "name_or_document", len(words) + len(compact))
