from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "amparo.audit"
    label = "audit"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (records core's purges: core does not import the audit log)
