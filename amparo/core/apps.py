from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "amparo.core"
    label = "core"

    def ready(self) -> None:
        from django_tasks.signals import task_finished

        from .metrics import on_task_finished

        task_finished.connect(on_task_finished, dispatch_uid="amparo.core.metrics.task_finished")
