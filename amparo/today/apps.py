from django.apps import AppConfig


class TodayConfig(AppConfig):
    """A staff member's day: the home page with each role's work, the menu, and notifications without personal data."""

    name = "amparo.today"
    label = "today"
    verbose_name = "Today"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (notifications on new referrals, reports, closure requests, alerts)
