"""The two staff roles: Analysts view and export; Curators also add, change, delete and import."""

from django.contrib.auth.management import create_permissions

CURATED_MODELS = {
    "blocs": ["source", "country", "bloc", "membership", "reading", "blocclaim", "membershipclaim"],
    "events": ["event", "eventclaim"],
}
ROLES = {
    "Analysts": ["view"],
    "Curators": ["view", "add", "change", "delete"],
}
# Permissions of their own, beyond a model's four: the quality checks are the curators' work list.
ROLE_EXTRAS = {
    "Curators": ["review_quality"],
}


def ensure_roles(apps):
    """Create or repair the role groups; `apps` is a migration's app registry or the live one."""
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        if app_config.label in CURATED_MODELS or app_config.label in ("auth", "contenttypes"):
            create_permissions(app_config, verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, actions in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [
            f"{action}_{model}" for models in CURATED_MODELS.values() for model in models for action in actions
        ] + ROLE_EXTRAS.get(role, [])
        # Only the curated apps' permissions are set here: those other apps grant (readers'
        # suggestions, in the corrections app) stay as they are.
        kept = group.permissions.exclude(content_type__app_label__in=CURATED_MODELS)
        group.permissions.set(
            [
                *kept,
                *Permission.objects.filter(content_type__app_label__in=CURATED_MODELS, codename__in=codenames),
            ]
        )
