"""Vocabularies that several domains share, in one small module at the bottom of the layers (DESIGN.md,
"Architecture"): every app may import it, and it imports nothing from amparo. Codes are stable: they are stored,
exported and compared across apps; labels are translated.

What lives here is used by more than one domain app: the GBV types (cases record them, the safe channel's report
asks for them, referrals share them), the consents and how she gave them (cases record them, the channel takes the
sharing ones from her, referrals check them), and the kinds of organisation (directory entries and member
organisations: an entity is the same kind in both places). A vocabulary used by one app stays in that app.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class GBVType(models.TextChoices):
    """The six GBVIMS core types and non-GBV, in the elimination order."""

    RAPE = "rape", _("Rape")
    SEXUAL_ASSAULT = "sexual_assault", _("Sexual assault")
    PHYSICAL_ASSAULT = "physical_assault", _("Physical assault")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    DENIAL = "denial_of_resources_opportunities_or_services", _("Denial of resources, opportunities or services")
    PSYCHOLOGICAL = "psychological_emotional_abuse", _("Psychological / emotional abuse")
    NON_GBV = "non-gbv", _("Non-GBV")


# The incidents the clinical windows (PEP, emergency contraception) apply to, and that shorten the channel's first
# answer to 24 hours.
SEXUAL_VIOLENCE_TYPES = frozenset({GBVType.RAPE.value, GBVType.SEXUAL_ASSAULT.value})


class ConsentKind(models.TextChoices):
    """DESIGN.md rule 2: separate consents. Referral service types map to the share_* kinds."""

    SERVICES = "services", _("To receive services from this organisation")
    SHARE_HEALTH = "share_health", _("To share information for health referrals")
    SHARE_PSYCHOSOCIAL = "share_psychosocial", _("To share information for psychosocial referrals")
    SHARE_LEGAL = "share_legal", _("To share information for legal referrals")
    SHARE_PROTECTION = "share_protection", _("To share information for protection referrals")
    SHARE_SHELTER = "share_shelter", _("To share information for shelter referrals")
    SHARE_CHILDREN = "share_children", _("To share information for child-protection referrals")
    SHARE_OTHER = "share_other", _("To share information for other referrals")
    STATISTICS = "statistics", _("To count non-identifiable data in statistics")
    MONITOR_DETAILS = "monitor_details", _("To give the Ombudsman more than the anonymous trafficking alert")


# The consents to share for referrals, one per referral type: the ones she can also give through the safe channel.
SHARING_KINDS = tuple(kind for kind in ConsentKind.values if kind.startswith("share_"))


class ConsentMethod(models.TextChoices):
    VERBAL = "verbal", _("Verbal, recorded by the caseworker")
    WRITTEN = "written", _("Written and signed")
    SAFE_CHANNEL = "safe_channel", _("Through the safe channel")


class OrganizationKind(models.TextChoices):
    """Kinds of organisation: of the directory's entries and of the platform's member organisations (one list)."""

    NGO = "ngo", _("NGO")
    SEX_WORKER_LED = "sex-worker-led", _("Sex-worker-led organisation")
    HEALTH = "health", _("Health entity")
    PROSECUTOR = "prosecutor", _("Prosecutor's office")
    COMISARIA = "comisaria", _("Comisaría de Familia")
    OMBUDSMAN = "ombudsman", _("Ombudsman's office")
    CHILD_WELFARE = "child-welfare", _("Child welfare")
    LOCAL_GOVERNMENT = "local-government", _("Local government")
    POLICE = "police", _("Police")
    INTERNATIONAL = "international", _("International organisation")
    OTHER = "other", _("Other")


# Who she is, in bands and groups: cases record them, surveys count by them (their codes are the choice names of the
# shipped survey instrument), statistics group by them.
class AgeBand(models.TextChoices):
    AGE_0_11 = "0-11", "0–11"
    AGE_12_17 = "12-17", "12–17"
    AGE_18_25 = "18-25", "18–25"
    AGE_26_40 = "26-40", "26–40"
    AGE_41_60 = "41-60", "41–60"
    AGE_61 = "61+", "61+"
    UNKNOWN = "unknown", _("Unknown")


class GenderIdentity(models.TextChoices):
    TRANS_WOMAN = "trans_woman", _("Trans woman")
    CIS_WOMAN = "cis_woman", _("Cis woman")
    NON_BINARY = "non_binary", _("Non-binary")
    TRANS_MAN = "trans_man", _("Trans man")
    CIS_MAN = "cis_man", _("Cis man")
    OTHER = "other", _("Another identity")
    NOT_SAID = "not_said", _("Prefers not to say")


class MigratoryStatus(models.TextChoices):
    NATIONAL = "national", _("National of the country")
    REGULAR = "regular", _("Migrant, regular status")
    IRREGULAR = "irregular", _("Migrant, irregular status")
    IN_PROCESS = "in_process", _("Migrant, regularisation in process")
    ASYLUM_SEEKER = "asylum_seeker", _("Asylum seeker")
    REFUGEE = "refugee", _("Refugee")
    UNKNOWN = "unknown", _("Unknown")
