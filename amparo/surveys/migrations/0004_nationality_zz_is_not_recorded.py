"""Nationality "ZZ" (ISO 3166's unknown country, the instrument's "another, or prefer not to answer") is stored as
not recorded, like an empty answer (extract.UNKNOWN_NATIONALITY): the submissions stored before say so too."""

from django.db import migrations


def zz_is_not_recorded(apps, schema_editor):  # type: ignore[no-untyped-def]
    Submission = apps.get_model("surveys", "Submission")
    Submission.objects.using(schema_editor.connection.alias).filter(nationality__in=["ZZ", "zz"]).update(
        nationality=""
    )


class Migration(migrations.Migration):
    dependencies = [("surveys", "0003_analysis_bits")]

    operations = [migrations.RunPython(zz_is_not_recorded, migrations.RunPython.noop)]
