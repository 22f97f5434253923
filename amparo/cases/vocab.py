"""Value lists of case management, GBVIMS-aligned (shared/reference/gbvims-trafficking-reference.md), with the
additions DESIGN.md asks for: trans women and non-binary people, client / exploiter / organised crime / state-agent
perpetrators, sex work as a context (never an automatic "exploitation" label). Codes are stable: they are stored
and exported; labels are translated."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.vocab import AgeBand as AgeBand

# Shared with other domains: defined in amparo.vocab, importable here for the code of this app.
from amparo.vocab import ConsentKind as ConsentKind
from amparo.vocab import ConsentMethod as ConsentMethod
from amparo.vocab import GBVType as GBVType
from amparo.vocab import GenderIdentity as GenderIdentity
from amparo.vocab import MigratoryStatus as MigratoryStatus

MINOR_BANDS = frozenset({AgeBand.AGE_0_11, AgeBand.AGE_12_17})


class YesNoUnknown(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Unknown")


# The elimination questions, asked in this order; the first "yes" decides the type.
ELIMINATION_QUESTIONS: list[tuple[str, str, object]] = [
    ("penetration", GBVType.RAPE, _("Was there penetration (however slight, by any body part or object)?")),
    ("sexual_contact", GBVType.SEXUAL_ASSAULT, _("Was there unwanted sexual contact, or an attempted rape?")),
    ("physical", GBVType.PHYSICAL_ASSAULT, _("Was there a physical assault?")),
    ("forced_marriage", GBVType.FORCED_MARRIAGE, _("Was it an act of forced marriage or union?")),
    ("denial", GBVType.DENIAL, _("Was there denial of resources, opportunities or services (e.g. earnings taken)?")),
    ("psychological", GBVType.PSYCHOLOGICAL, _("Was there psychological or emotional abuse (threats, stalking)?")),
]


def classify(answers: dict[str, bool]) -> str:
    """GBVIMS type by the elimination order; non-GBV when every answer is no."""
    for key, gbv_type, _question in ELIMINATION_QUESTIONS:
        if answers.get(key):
            return str(gbv_type)
    return str(GBVType.NON_GBV)


class ContextTag(models.TextChoices):
    """Case contexts, kept apart from the type. Sex work is a context, not exploitation."""

    SEX_WORK = "sex_work", _("During or because of sex work")
    INTIMATE_PARTNER = "intimate_partner", _("Intimate partner violence")
    MIGRATION = "migration", _("During migration or transit")
    ARMED_CONFLICT = "armed_conflict", _("Armed conflict or armed groups")
    TRANSPHOBIA = "transphobia", _("Motivated by gender identity (transphobia)")
    TRAFFICKING_SUSPECTED = "trafficking_suspected", _("Possible trafficking (see risk assessment)")
    STATE_VIOLENCE = "state_violence", _("Violence by state agents")


class PerpetratorType(models.TextChoices):
    CLIENT = "client", _("Client")
    EXPLOITER = "exploiter", _("Exploiter / pimp")
    INTIMATE_PARTNER = "intimate_partner", _("Intimate partner or former partner")
    FAMILY = "family", _("Family member")
    ACQUAINTANCE = "acquaintance", _("Acquaintance, neighbour or housemate")
    EMPLOYER = "employer", _("Employer or venue owner")
    ORGANISED_CRIME = "organised_crime", _("Organised crime or armed group")
    POLICE = "police", _("Police")
    MILITARY = "military", _("Military")
    MIGRATION_OFFICIAL = "migration_official", _("Migration official")
    OTHER_STATE_AGENT = "other_state_agent", _("Other state agent")
    STRANGER = "stranger", _("Stranger")
    UNKNOWN = "unknown", _("Unknown")


STATE_AGENTS = frozenset(
    {
        PerpetratorType.POLICE,
        PerpetratorType.MILITARY,
        PerpetratorType.MIGRATION_OFFICIAL,
        PerpetratorType.OTHER_STATE_AGENT,
    }
)


class TraffickingIndicator(models.TextChoices):
    """Indicator families (ILO–EC operational indicators; IOM CTDC means of control)."""

    DECEPTION = "deception", _("Deceived about the work, place or conditions")
    COERCION = "coercion", _("Coercion: threats, violence, forced clients or tasks")
    DEBT_BONDAGE = "debt_bondage", _("Debt bondage")
    RETAINED_DOCUMENTS = "retained_documents", _("Identity documents retained by someone else")
    MINORS_INVOLVED = "minors_involved", _("Minors involved")
    RESTRICTED_MOVEMENT = "restricted_movement", _("Movement restricted, isolated or watched")
    EARNINGS_WITHHELD = "earnings_withheld", _("Earnings taken or withheld")


class CareArrangement(models.TextChoices):
    WITH_SURVIVOR = "with_survivor", _("Lives with the survivor")
    KINSHIP = "kinship", _("Kinship care (other family)")
    FOSTER = "foster", _("Foster family")
    INSTITUTIONAL = "institutional", _("Institution (e.g. ICBF)")
    OTHER = "other", _("Other arrangement")
    NONE = "none", _("No safe arrangement yet")


class ChildRisk(models.TextChoices):
    RECRUITMENT = "recruitment", _("Recruitment or use by armed or criminal groups")
    SEXUAL_VIOLENCE = "sexual_violence", _("Sexual violence")
    TRAFFICKING = "trafficking", _("Trafficking")
    NEGLECT = "neglect", _("Left without care")
    SCHOOL = "school", _("Out of school")
