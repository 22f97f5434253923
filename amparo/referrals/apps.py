from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "amparo.referrals"
    label = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the safe channel's consent signals and cases' transfer)
