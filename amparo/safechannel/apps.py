from django.apps import AppConfig


class SafeChannelConfig(AppConfig):
    name = "amparo.safechannel"
    label = "safechannel"
    verbose_name = "Safe channel"

    def ready(self) -> None:
        from . import keyring  # noqa: F401  (connects the sign-in receiver)
