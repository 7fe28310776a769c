# Russian texts default to empty in Python too, so bulk imports write "" rather than a database-default marker.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("blocs", "0011_russian_names"),
    ]

    operations = [
        migrations.AlterField(
            model_name="bloc",
            name="name_ru",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="Full Russian name (Организация Договора о коллективной безопасности); pages in Russian show the English name when empty.",
                max_length=200,
                verbose_name="name in Russian",
            ),
        ),
        migrations.AlterField(
            model_name="country",
            name="name_ru",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="Short Russian name, as Russian readers know it (Казахстан); pages in Russian show the English name when empty.",
                max_length=120,
                verbose_name="name in Russian",
            ),
        ),
        migrations.AlterField(
            model_name="historicalbloc",
            name="name_ru",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="Full Russian name (Организация Договора о коллективной безопасности); pages in Russian show the English name when empty.",
                max_length=200,
                verbose_name="name in Russian",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcountry",
            name="name_ru",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="Short Russian name, as Russian readers know it (Казахстан); pages in Russian show the English name when empty.",
                max_length=120,
                verbose_name="name in Russian",
            ),
        ),
    ]
