"""Receipts now end in a Damm check digit. Reports filed before hold receipts of 16 random digits: they are marked
legacy so that receipts failing the check keep working while such a report exists."""

from typing import Any

from django.db import migrations, models


def mark_existing(apps: Any, schema_editor: Any) -> None:
    apps.get_model("safechannel", "Report").objects.update(legacy_receipt=True)


class Migration(migrations.Migration):
    dependencies = [("safechannel", "0002_sharing_consent")]

    operations = [
        migrations.AddField(model_name="report", name="legacy_receipt", field=models.BooleanField(default=False)),
        migrations.RunPython(mark_existing, migrations.RunPython.noop),
    ]
