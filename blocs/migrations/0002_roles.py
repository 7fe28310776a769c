"""The two staff roles: Analysts view and export; Curators also add, change, delete and import."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CURATED_MODELS = {
    "blocs": ["source", "country", "bloc", "membership"],
    "events": ["event"],
}
ROLES = {
    "Analysts": ["view"],
    "Curators": ["view", "add", "change", "delete"],
}


def add_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; these groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, actions in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [
            f"{action}_{model}" for models in CURATED_MODELS.values() for model in models for action in actions
        ]
        group.permissions.set(
            Permission.objects.filter(content_type__app_label__in=CURATED_MODELS, codename__in=codenames)
        )


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
