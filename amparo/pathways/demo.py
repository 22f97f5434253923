"""The pathways' step of the demo: the care pathways and helplines from the content files."""

from __future__ import annotations

from django.core.management import call_command

from amparo.core.registry import DemoRun


def load_demo_pathways(run: DemoRun) -> None:
    call_command("load_pathways", stdout=run.stdout)
