# Russian texts default to empty in Python too, so bulk imports write "" rather than a database-default marker.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0006_russian_titles"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="description_ru",
            field=models.TextField(
                blank=True,
                db_default="",
                default="",
                help_text="The description in Russian; pages in Russian show the English one when empty.",
                verbose_name="description in Russian",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="title_ru",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="The title in Russian; pages in Russian show the English one when empty.",
                max_length=300,
                verbose_name="title in Russian",
            ),
        ),
        migrations.AlterField(
            model_name="historicalevent",
            name="description_ru",
            field=models.TextField(
                blank=True,
                db_default="",
                default="",
                help_text="The description in Russian; pages in Russian show the English one when empty.",
                verbose_name="description in Russian",
            ),
        ),
        migrations.AlterField(
            model_name="historicalevent",
            name="title_ru",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="The title in Russian; pages in Russian show the English one when empty.",
                max_length=300,
                verbose_name="title in Russian",
            ),
        ),
    ]
