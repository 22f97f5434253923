"""Who reads and writes the bulletin and the library (issue 17, part 4). Part of the ONE permission module.

- Reading follows membership: any staff member reads what her organisations' audience covers
  (campaigns.bulletin_selectors); nothing there is about a survivor.
- Posting: any staff member, for an organisation she belongs to (a risk alert comes from whoever learns of it,
  often outreach staff at night). Withdrawing: a coordinator of the posting organisation (the organisation's
  administrator answers for what it posts).
- The library: coordinators, analysts and legal advisors add documents and versions for their organisation, and
  withdraw them.
"Not found" and "not allowed" are the same 404.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from amparo.accounts.models import Organization
from amparo.accounts.roles import PLATFORM_ADMIN, Role
from amparo.campaigns.bulletin_models import BulletinPost, LibraryDocument, LibraryVersion
from amparo.campaigns.bulletin_selectors import documents_for

from . import ANY_STAFF, _uuid_or_404, organizations_for_user

BULLETIN_ROLES = ANY_STAFF
WITHDRAW_ROLES = frozenset({Role.COORDINATOR, PLATFORM_ADMIN})
LIBRARY_EDIT_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST, Role.LEGAL_ADVISOR, PLATFORM_ADMIN})


def posting_organizations(user: Any) -> QuerySet[Organization]:
    return organizations_for_user(user, BULLETIN_ROLES).order_by("name", "pk")


def library_organizations(user: Any) -> QuerySet[Organization]:
    return organizations_for_user(user, LIBRARY_EDIT_ROLES).order_by("name", "pk")


def get_post_to_withdraw(user: Any, post_uuid: UUID | str) -> BulletinPost:
    post = BulletinPost.objects.filter(uuid=_uuid_or_404(post_uuid)).select_related("organization").first()
    if post is None:
        raise Http404
    if not may_withdraw_post(user, post):
        raise Http404
    return post


def may_withdraw_post(user: Any, post: BulletinPost) -> bool:
    return organizations_for_user(user, WITHDRAW_ROLES).filter(pk=post.organization_id).exists()


def get_document_for_user(user: Any, document_uuid: UUID | str) -> LibraryDocument:
    found = documents_for(user, withdrawn=True).filter(uuid=_uuid_or_404(document_uuid)).first()
    if found is None:
        raise Http404
    return found


def may_edit_document(user: Any, document: LibraryDocument) -> bool:
    return library_organizations(user).filter(pk=document.organization_id).exists()


def get_document_to_edit(user: Any, document_uuid: UUID | str) -> LibraryDocument:
    found = LibraryDocument.objects.filter(
        uuid=_uuid_or_404(document_uuid), organization__in=library_organizations(user)
    ).first()
    if found is None:
        raise Http404
    return found


def get_version_for_user(user: Any, document_uuid: UUID | str, version_uuid: UUID | str) -> LibraryVersion:
    document = get_document_for_user(user, document_uuid)
    found = document.versions.filter(uuid=_uuid_or_404(version_uuid)).first()
    if found is None:
        raise Http404
    return found
