from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "amparo.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the safe channel's consent signals)
