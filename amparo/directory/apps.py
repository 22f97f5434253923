from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "amparo.directory"
    label = "directory"
