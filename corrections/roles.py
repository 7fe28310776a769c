"""Who reviews readers' suggestions: Curators see, accept, decline and delete them; nobody else does."""

from django.contrib.auth.management import create_permissions

# Suggestions carry readers' e-mail addresses: Analysts, who see the whole record, do not see them.
CURATORS = "Curators"
CODENAMES = ["view_suggestion", "delete_suggestion", "review_suggestion"]


def grant_reviewing(apps):
    """Give the Curators group the suggestions' permissions; `apps` is a migration's registry or the live one."""
    create_permissions(apps.get_app_config("corrections"), verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=CURATORS)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="corrections", codename__in=CODENAMES))
