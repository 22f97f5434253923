from django.apps import AppConfig


class PathwaysConfig(AppConfig):
    name = "amparo.pathways"
    label = "pathways"
