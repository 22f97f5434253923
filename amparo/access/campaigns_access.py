"""Who may see and change campaigns (issue 17, parts 1, 2 and 5). Part of the ONE permission module (amparo/access):
views import these, never a model query of their own. "Not found" and "not allowed" are the same 404.

- Create, edit, set the sending webhook and send: the organisation's **coordinators**. A campaign speaks for the
  organisation in public (its name is on the posters) and can reach thousands of phones through its gateway: the
  person who administers the organisation decides it, as she decides its members and its data-sharing agreements.
- Read a campaign, preview and download its materials and read its reach: the organisation's coordinators,
  **caseworkers** and **legal advisors** (who hand out the cards and put up the posters), **enumerators** (in the
  field with the community) and **analysts** (reach is an aggregate: visits per day and material); platform admins
  read every organisation's, for support. Materials hold no survivor data and reach counts visits, nothing about
  who, so there is no need-to-know reason to keep them from the organisation's own staff.
- Not focal points (people of another entity who act for a service) nor monitors (the Ombudsman watches, it does
  not campaign for an organisation): a campaign is the organisation's own outreach.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from amparo.accounts.models import Organization
from amparo.accounts.roles import PLATFORM_ADMIN, Role
from amparo.campaigns.models import Campaign
from amparo.campaigns.selectors import campaigns_of

from . import _uuid_or_404, get_organization_for_user, organizations_for_user

CAMPAIGN_EDIT_ROLES = frozenset({Role.COORDINATOR})
CAMPAIGN_READ_ROLES = frozenset(
    {Role.COORDINATOR, Role.CASEWORKER, Role.LEGAL_ADVISOR, Role.ENUMERATOR, Role.ANALYST, PLATFORM_ADMIN}
)


def campaign_organizations(user: Any, *, write: bool = False) -> QuerySet[Organization]:
    """The organisations whose campaigns the user may read (or, with write, create and edit)."""
    return organizations_for_user(user, CAMPAIGN_EDIT_ROLES if write else CAMPAIGN_READ_ROLES).order_by("name", "pk")


def campaigns_for_user(user: Any) -> QuerySet[Campaign]:
    return campaigns_of(campaign_organizations(user))


def get_campaign_for_user(user: Any, campaign_uuid: UUID | str, *, write: bool = False) -> Campaign:
    """A campaign of an organisation where the user holds a reading (or, with write, an editing) role; 404 else."""
    found = campaigns_of(campaign_organizations(user, write=write)).filter(uuid=_uuid_or_404(campaign_uuid)).first()
    if found is None:
        raise Http404
    return found


def can_edit_campaign(user: Any, campaign: Campaign) -> bool:
    return campaign_organizations(user, write=True).filter(pk=campaign.organization_id).exists()


def sending_organization_for_user(user: Any, organization_uuid: UUID | str) -> Organization:
    """An organisation whose sending webhook the user sets: its coordinators only; 404 for anyone else."""
    return get_organization_for_user(user, organization_uuid, CAMPAIGN_EDIT_ROLES)
