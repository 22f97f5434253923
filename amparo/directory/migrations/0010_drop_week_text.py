"""Drop the 672-character `week`: 0009 copied it into the week bits (0011 compacts the table)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("directory", "0009_fill_search_narrow_rows")]
    operations = [migrations.RemoveField(model_name="serviceatlocation", name="week")]
