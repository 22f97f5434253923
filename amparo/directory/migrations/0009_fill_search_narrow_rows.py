"""Fill 0008's columns: each row's department and country from its place, and its week bits from `week`.

Rows with the same place share a lineage, and rows with the same week share its bits, so rows are updated by groups.
A data migration of its own: on PostgreSQL the foreign-key checks of these updates are deferred to the end of the
transaction, which must not also alter the table.
"""

from django.db import migrations

_CHUNK = 1000
_HALF_DAY = 48  # quarter-hours
# Frozen here (as in hours.WEEK_COLUMNS) so that this migration does not change with the code.
WEEK_COLUMNS = tuple(
    f"week_{day}_{half}" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") for half in ("am", "pm")
)


def week_masks(week):
    week = week.ljust(14 * _HALF_DAY, "0")
    return tuple(int(week[start : start + _HALF_DAY][::-1], 2) for start in range(0, 14 * _HALF_DAY, _HALF_DAY))


def week_text(masks):
    return "".join(format(mask, f"0{_HALF_DAY}b")[::-1] for mask in masks)


def _lineages(Place):
    places = {p.pk: p for p in Place.objects.all()}
    lineages = {}
    for pk, place in places.items():
        admin1_id = country_id = None
        current = place
        for _depth in range(4):
            if current is None:
                break
            if current.level == 1 and admin1_id is None:
                admin1_id = current.pk
            elif current.level == 0 and country_id is None:
                country_id = current.pk
            current = places.get(current.parent_id)
        lineages[pk] = (admin1_id, country_id)
    return lineages


def fill(apps, schema_editor):
    Place = apps.get_model("directory", "Place")
    ServiceAtLocation = apps.get_model("directory", "ServiceAtLocation")
    for place_id, (admin1_id, country_id) in _lineages(Place).items():
        ServiceAtLocation.objects.filter(place_id=place_id).update(admin1_id=admin1_id, country_id=country_id)
    by_week = {}
    for pk, week in ServiceAtLocation.objects.values_list("pk", "week").iterator(chunk_size=5000):
        by_week.setdefault(week, []).append(pk)
    for week, pks in by_week.items():
        values = dict(zip(WEEK_COLUMNS, week_masks(week), strict=True))
        for start in range(0, len(pks), _CHUNK):
            ServiceAtLocation.objects.filter(pk__in=pks[start : start + _CHUNK]).update(**values)


def unfill(apps, schema_editor):
    ServiceAtLocation = apps.get_model("directory", "ServiceAtLocation")
    by_week = {}
    for pk, *masks in ServiceAtLocation.objects.values_list("pk", *WEEK_COLUMNS).iterator(chunk_size=5000):
        by_week.setdefault(tuple(masks), []).append(pk)
    for masks, pks in by_week.items():
        for start in range(0, len(pks), _CHUNK):
            ServiceAtLocation.objects.filter(pk__in=pks[start : start + _CHUNK]).update(week=week_text(masks))


class Migration(migrations.Migration):
    dependencies = [("directory", "0008_search_narrow_rows")]
    operations = [migrations.RunPython(fill, unfill)]
