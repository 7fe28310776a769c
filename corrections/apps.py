"""Readers' corrections: suggestions from the public pages, kept pending until a curator accepts or declines them."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CorrectionsConfig(AppConfig):
    name = "corrections"
    verbose_name = _("Readers' corrections")

    def ready(self):
        from django.apps import apps as live_apps
        from django.db.models.signals import post_migrate
        from django.urls import reverse

        from events import quality

        from .models import Suggestion
        from .roles import grant_reviewing

        # The data migration grants the permissions once; this keeps them after a database flush too.
        post_migrate.connect(lambda **kwargs: grant_reviewing(live_apps), sender=self, weak=False)
        quality.register(
            quality.Check(
                "pending-suggestions",
                _("Suggestions from readers, waiting"),
                _("Corrections readers suggested on the public pages that no curator has accepted or declined yet."),
                lambda: Suggestion.objects.pending().with_records().order_by("created_at", "pk"),
                link=lambda suggestion: reverse("admin:corrections_suggestion_change", args=[suggestion.pk]),
            )
        )
