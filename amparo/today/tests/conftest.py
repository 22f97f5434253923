"""The referral tests' world (a member organisation, its staff, two focal points, a case in Cúcuta) serves here too."""

from amparo.referrals.tests.conftest import world  # noqa: F401
