from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Scheduled work: the periodic commands as tasks of django-tasks, the schedule in code, a record of each run and
    the coordinators' page of runs (docs/scheduled-work.md). It sits on top of every app and imports none of them: it
    runs their management commands by name."""

    name = "amparo.operations"
    label = "operations"
    verbose_name = "Operations"
