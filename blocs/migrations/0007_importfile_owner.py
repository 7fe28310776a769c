from django.conf import settings
from django.db import migrations, models


def forget_pending_files(apps, schema_editor):
    # Previews made before files had owners cannot be confirmed any more: they are uploaded again.
    apps.get_model("blocs", "ImportFile").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("blocs", "0006_history_load"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(forget_pending_files, migrations.RunPython.noop),
        migrations.AddField(
            model_name="importfile",
            name="user",
            field=models.ForeignKey(
                help_text="The curator who uploaded the file; only they can confirm or cancel it.",
                on_delete=models.deletion.CASCADE,
                related_name="pending_imports",
                to=settings.AUTH_USER_MODEL,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="importfile",
            name="model",
            field=models.CharField(
                default="", help_text="The list it was previewed for, as app_label.model_name.", max_length=100
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="importfile",
            name="file_format",
            field=models.CharField(default="", help_text="The format it was read as: csv or xlsx.", max_length=10),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="importfile",
            name="original_name",
            field=models.CharField(blank=True, help_text="The file's name on the curator's computer.", max_length=255),
        ),
        migrations.AlterField(
            model_name="importfile",
            name="created_at",
            field=models.DateTimeField(
                auto_now_add=True, help_text="When it was uploaded; files older than a day are removed."
            ),
        ),
    ]
