from __future__ import annotations

from collections.abc import Iterable

from django.apps import AppConfig

from amparo.core.registry import DemoLoader


class AccountsConfig(AppConfig):
    name = "amparo.accounts"
    label = "accounts"

    def demo_loaders(self) -> Iterable[DemoLoader]:
        from .demo import load_demo_accounts

        return (DemoLoader(30, "staff accounts", load_demo_accounts),)
