"""A narrower service-at-location row for searches that must read every row.

The 672-character `week` (one character per 15 minutes) becomes 14 integers of 48 bits, one per half-day, with the
same slots: "open now" tests one bit. The place's department and country are copied next to it, so a search within
a department or a country filters one column instead of joining `place` twice. 0009 fills the new columns and
0010 drops `week`.
"""

import django.db.models.deletion
from django.db import migrations, models

# As hours.WEEK_COLUMNS, frozen here.
WEEK_COLUMNS = tuple(
    f"week_{day}_{half}" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") for half in ("am", "pm")
)


def _week_field():
    return models.BigIntegerField(default=0, editable=False)


class Migration(migrations.Migration):
    dependencies = [("directory", "0007_pg_stored_search_vector")]

    operations = [
        migrations.AddField(
            model_name="serviceatlocation",
            name="admin1",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="directory.place",
            ),
        ),
        migrations.AddField(
            model_name="serviceatlocation",
            name="country",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="directory.place",
            ),
        ),
        *[
            migrations.AddField(model_name="serviceatlocation", name=column, field=_week_field())
            for column in WEEK_COLUMNS
        ],
    ]
