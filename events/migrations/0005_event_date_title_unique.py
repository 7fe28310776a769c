from django.db import migrations, models


def tell_duplicates_apart(apps, schema_editor):
    """Events stored twice under one date and title (a file imported twice) get a numbered title.

    Nothing is deleted: a curator finds them by the " (2)" and merges or removes them.
    """
    Event = apps.get_model("events", "Event")
    seen = set()
    for event in Event.objects.order_by("date", "title", "id").only("id", "date", "title").iterator():
        key = (event.date, event.title)
        if key not in seen:
            seen.add(key)
            continue
        n = 2
        while (event.date, f"{event.title} ({n})"[:300]) in seen or Event.objects.filter(
            date=event.date, title=f"{event.title} ({n})"[:300]
        ).exists():
            n += 1
        title = f"{event.title} ({n})"[:300]
        Event.objects.filter(pk=event.pk).update(title=title)
        seen.add((event.date, title))


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0004_history_load"),
    ]

    operations = [
        migrations.RunPython(tell_duplicates_apart, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(
                fields=("date", "title"),
                name="event_date_title_unique",
                violation_error_message="An event with this title is already recorded on this date.",
            ),
        ),
    ]
