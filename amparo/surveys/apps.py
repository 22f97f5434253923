from __future__ import annotations

from collections.abc import Iterable

from django.apps import AppConfig

from amparo.core.registry import DemoLoader, EncryptedBlobColumn


class SurveysConfig(AppConfig):
    name = "amparo.surveys"
    label = "surveys"
    verbose_name = "Surveys"

    def demo_loaders(self) -> Iterable[DemoLoader]:
        # The surveys' demo (the instrument, keys, a credential, synthetic submissions) registers here at order 70.
        from .demo import load_demo_surveys

        return (DemoLoader(70, "surveys", load_demo_surveys),)

    def encrypted_blob_columns(self) -> Iterable[EncryptedBlobColumn]:
        # Submission attachments (photos, ODK .enc files) are encrypted with the field keys (services.encrypt_bytes).
        return (EncryptedBlobColumn(lambda: self.get_model("Attachment"), "content"),)
