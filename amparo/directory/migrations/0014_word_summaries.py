"""Word summaries: for each vocabulary word, the union of the service types and inclusion facts of the service-at-
location rows whose search text holds it, and whether any of them is open 24 hours (see models.SearchTerm)."""

from django.db import migrations, models


def _words(text):
    # As services.vocabulary_words, frozen here.
    return {w[:64] for w in text.split() if len(w) >= 3 and not w.isdigit()}


def fill(apps, schema_editor):
    SearchTerm = apps.get_model("directory", "SearchTerm")
    ServiceAtLocation = apps.get_model("directory", "ServiceAtLocation")
    summaries = {}
    rows = ServiceAtLocation.objects.values_list("service__search_text", "type_mask", "fact_mask", "open_24h")
    for text, types, facts, open_24h in rows.iterator(chunk_size=2000):
        for word in _words(text):
            old_types, old_facts, old_open_24h = summaries.get(word, (0, 0, False))
            summaries[word] = (old_types | types, old_facts | facts, old_open_24h or open_24h)
    SearchTerm.objects.bulk_create(
        [SearchTerm(word=w) for w in sorted(summaries)], ignore_conflicts=True, batch_size=2000
    )
    words_by_summary = {}
    for word, summary in summaries.items():
        words_by_summary.setdefault(summary, []).append(word)
    for (types, facts, open_24h), words in words_by_summary.items():
        words.sort()
        for start in range(0, len(words), 500):
            SearchTerm.objects.filter(word__in=words[start : start + 500]).update(
                type_masks=types, fact_masks=facts, any_open_24h=open_24h
            )


class Migration(migrations.Migration):
    dependencies = [("directory", "0013_pg_compact_service")]

    operations = [
        migrations.AddField(model_name="searchterm", name="type_masks", field=models.BigIntegerField(default=0)),
        migrations.AddField(model_name="searchterm", name="fact_masks", field=models.IntegerField(default=0)),
        migrations.AddField(model_name="searchterm", name="any_open_24h", field=models.BooleanField(default=False)),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
