"""Curators see, accept, decline and delete readers' suggestions (corrections/roles.py)."""

from django.db import migrations

from corrections.roles import CODENAMES, CURATORS, grant_reviewing


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        # Migration app configs have no models module, which create_permissions requires.
        app_config.models_module = True
    grant_reviewing(apps)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name=CURATORS):
        group.permissions.remove(
            *group.permissions.filter(content_type__app_label="corrections", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("corrections", "0001_initial"),
        ("blocs", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
