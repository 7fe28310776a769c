"""The curators' quality pages in the admin: every check with its count, each check's findings a page at a time."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from .models import EventBloc
from .quality import BY_SLUG, PERMISSION, count_words, counts, shown_counts

FINDINGS_PER_PAGE = 50


def _allowed(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _context(request, **context):
    return {**admin.site.each_context(request), **context}


def overview(request):
    _allowed(request)
    context = _context(request, title=gettext("Quality checks"), checks=shown_counts())
    return render(request, "admin/quality/overview.html", context)


class CountedPaginator(Paginator):
    """Pages over findings already counted (up to MOST_COUNTED + 1, kept until the records change), not counted again."""

    def __init__(self, object_list, per_page, count):
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self):
        return self.known_count


def check_page(request, slug):
    _allowed(request)
    check = BY_SLUG.get(slug)
    if check is None:
        raise Http404(gettext("No such check."))
    total = dict(counts())[check]
    # get_page turns a page number that is not one, or past the end, into the nearest page.
    page = CountedPaginator(check.findings(), FINDINGS_PER_PAGE, total).get_page(request.GET.get("page"))
    findings = [{"text": check.describe(f), "url": check.link(f), "pk": f.pk} for f in page.object_list]
    context = _context(
        request, title=check.title, check=check, page=page, findings=findings, total_words=count_words(total)
    )
    return render(request, "admin/quality/check.html", context)


@require_POST
def review(request, pk):
    """Mark one event's date outside its bloc's lifetime reviewed: it drops off the list."""
    _allowed(request)
    link = get_object_or_404(EventBloc.objects.select_related("event", "bloc"), pk=pk)
    if not link.lifetime_reviewed:
        link.lifetime_reviewed = True
        link.save(update_fields=["lifetime_reviewed"])
    messages.success(
        request,
        gettext("Reviewed: %(event)s, in %(bloc)s.") % {"event": link.event, "bloc": link.bloc.short_name},
    )
    return HttpResponseRedirect(reverse("quality:check", args=["outside-bloc-lifetime"]))
