"""The quality checks' counts for the admin index, for those who may see the checks."""

from django import template

from events.quality import PERMISSION, shown_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def quality_counts(context):
    """[(check, count)] in one query, or nothing when the user may not see the checks."""
    user = context["request"].user
    return shown_counts() if user.has_perm(PERMISSION) else []
