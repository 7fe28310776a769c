"""The two staff roles: Analysts view and export; Curators also add, change, delete and import."""

from django.db import migrations

from blocs.roles import ROLES, ensure_roles


def add_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        # Migration app configs have no models module, which create_permissions requires.
        app_config.models_module = True
    ensure_roles(apps)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("blocs", "0001_initial"),
        ("events", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_roles, remove_roles)]
