from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.apps import AppConfig

from amparo.core.registry import DemoLoader, StorageDir


class SafeChannelConfig(AppConfig):
    name = "amparo.safechannel"
    label = "safechannel"
    verbose_name = "Safe channel"

    def ready(self) -> None:
        from . import keyring  # noqa: F401  (connects the sign-in receiver)

    def demo_loaders(self) -> Iterable[DemoLoader]:
        from .demo import load_demo_safechannel

        return (DemoLoader(50, "safe channel", load_demo_safechannel),)

    def storage_dirs(self) -> Iterable[StorageDir]:
        from django.conf import settings

        return (StorageDir("safechannel", lambda: Path(settings.SAFECHANNEL_STORAGE_DIR)),)
