"""The curators' review queue: pending suggestions beside their records, accepted (as a claim) or declined with a reason."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from blocs.admin import CheckedHistoryAdmin

from .accepting import accept, decline
from .forms import Decision, ReviewForm
from .models import Kind, Status, Suggestion, claim_model

REVIEW = "corrections.review_suggestion"


def admin_url(record):
    meta = record._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk])


def public_url(suggestion):
    record = suggestion.record
    return (record.bloc if suggestion.kind == Kind.SPELL else record).get_absolute_url()


@admin.register(Suggestion)
class SuggestionAdmin(CheckedHistoryAdmin):
    list_display = ["created_at", "status", "record_link", "fact", "proposed_value", "what_short", "source_link"]
    list_display_links = ["created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["what", "proposed_text", "source_url"]
    actions = None
    history_list_display = ["status", "review_reason"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_records()

    def has_add_permission(self, request):
        return False  # readers send suggestions from the public pages

    def has_change_permission(self, request, obj=None):
        return False  # a suggestion is accepted or declined, never edited

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        # The queue opens on what waits for a decision.
        if not request.GET:
            return HttpResponseRedirect(f"{request.path}?status__exact={Status.PENDING}")
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("record"))
    def record_link(self, suggestion):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            admin_url(suggestion.record),
            suggestion.record_label,
            public_url(suggestion),
            gettext("its page"),
        )

    @admin.display(description=_("date"))
    def fact(self, suggestion):
        return suggestion.fact_label or "—"

    @admin.display(description=_("proposed"))
    def proposed_value(self, suggestion):
        value = suggestion.proposed
        text = Truncator(suggestion.proposed_text).chars(80)
        return " · ".join(str(part) for part in (value, text) if part) or "—"

    @admin.display(description=_("what is wrong"))
    def what_short(self, suggestion):
        return Truncator(suggestion.what).chars(120)

    @admin.display(description=_("source link"))
    def source_link(self, suggestion):
        if not suggestion.source_url:
            return "—"
        return format_html(
            '<a href="{}" rel="noopener noreferrer nofollow external">{}</a>',
            suggestion.source_url,
            Truncator(suggestion.source_url).chars(60),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The review page: the suggestion beside its record, and the decision for those who may make it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            pk = int(unquote(object_id))
            suggestion = self.get_queryset(request).select_related("reviewed_by", "source").get(pk=pk)
        except (ValueError, OverflowError, Suggestion.DoesNotExist):
            raise Http404(gettext("No such suggestion.")) from None
        may_review = request.user.has_perm(REVIEW) and suggestion.is_pending
        form = ReviewForm(request.POST or None, suggestion=suggestion) if may_review else None
        if request.method == "POST":
            if not request.user.has_perm(REVIEW):
                raise PermissionDenied
            if form is None:
                self.message_user(request, gettext("This suggestion was already decided."), messages.ERROR)
                return HttpResponseRedirect(request.path)
            if form.is_valid() and self._decide(request, suggestion, form):
                return HttpResponseRedirect(reverse("admin:corrections_suggestion_changelist"))
        claims = []
        if suggestion.field and claim_model(suggestion.kind):
            model = claim_model(suggestion.kind)
            claims = list(
                model.objects.filter(**{model.OWNER: suggestion.record}, field=suggestion.field)
                .select_related("reading")
                .for_display()
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Review a reader's suggestion"),
            "suggestion": suggestion,
            "record_admin_url": admin_url(suggestion.record),
            "record_public_url": public_url(suggestion),
            "stored": suggestion.record.partial_date(suggestion.field) if suggestion.field else None,
            "claims": claims,
            "form": form,
            "may_review": may_review,
            "history_url": reverse("admin:corrections_suggestion_history", args=[suggestion.pk]),
        }
        return TemplateResponse(request, "admin/corrections/suggestion/review.html", context)

    def _decide(self, request, suggestion, form):
        decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
        try:
            if decision == Decision.DECLINE:
                decline(suggestion, request.user, reason)
                self.message_user(request, gettext("The suggestion was declined."), messages.SUCCESS)
                return True
            claim = accept(
                suggestion,
                request.user,
                reason,
                preferred=decision == Decision.PREFERRED,
                source_title=form.cleaned_data.get("source_title", ""),
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
            return False
        if claim is None:
            text = gettext("The suggestion was accepted; edit the record where it needs it.")
        else:
            text = gettext("The suggestion was accepted: the %(date)s now has the claim %(value)s (%(rank)s).") % {
                "date": claim.get_field_display(),
                "value": claim.value_text,
                "rank": claim.get_rank_display(),
            }
        self.message_user(request, text, messages.SUCCESS)
        return True
