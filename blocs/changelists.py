"""Admin change lists that stay fast at a million events: estimated counts and typed-in filters.

A bloc or country filter drawn as links would put 2,000 blocs on every page of the list; here the
curator types a slug, a code or a name instead, and the page holds one text box. The year filter
replaces the date hierarchy (events/filters.py), whose list of years needs a pass over the whole table.
"""

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Bloc, Country


def estimated_rows(model, using):
    """PostgreSQL's estimate of the table's row count, kept by ANALYZE and autovacuum; None if unknown."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        row = cursor.fetchone()
    return row[0] if row and row[0] >= 0 else None


class IdsFirstPaginator(Paginator):
    """A paginator whose deep pages pick their ids first.

    OFFSET 400,000 over the (date, id) index alone is fast; over whole rows it reads 400,000 of
    them from the table. Past `deep_after` rows, a page's ids are chosen in a subquery and only
    its own rows are read.
    """

    deep_after = 2_000

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not isinstance(self.object_list, QuerySet) or bottom < self.deep_after:
            return super().page(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = self.object_list.values("pk")[bottom:top]
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)


class EstimatedCountPaginator(IdsFirstPaginator):
    """Counts exactly when the list is filtered or small; for a whole large table, uses the planner's estimate.

    COUNT(*) over a million events reads the whole table on every page load; the estimate costs
    one catalogue lookup and is within a few percent after ANALYZE.
    """

    exact_below = 20_000

    @cached_property
    def count(self):
        qs = self.object_list
        if isinstance(qs, QuerySet) and not qs.query.where and not qs.query.distinct and not qs.query.combinator:
            estimate = estimated_rows(qs.model, qs.db)
            if estimate is not None and estimate >= self.exact_below:
                return estimate
        return super().count


def search_words(queryset, search_term, related, own_fields=()):
    """The admin's word search, with names looked up in their own small tables first.

    Each word must match: a related record (a country by name or code, a bloc by name or slug)
    or one of `own_fields`. Matching the names through a join would read every spell with
    ILIKE; matching them in the country and bloc tables reads 250 and 2,000 short rows. Their
    ids are then given to the list's query as values, so that PostgreSQL can answer each word
    from indexes alone (the foreign keys' indexes, and a trigram index for `own_fields`), where
    a subquery in an OR would make it read every row. `related` maps a foreign key to (model,
    exact fields, contains fields).
    """
    for word in search_term.split():
        match = Q()
        for fk, (model, exact, contains) in related.items():
            found = Q()
            for field in exact:
                found |= Q(**{f"{field}__iexact": word})
            for field in contains:
                found |= Q(**{f"{field}__icontains": word})
            ids = list(model.objects.filter(found).values_list("pk", flat=True))
            if ids:
                match |= Q(**{f"{fk}__in": ids})
        for field in own_fields:
            match |= Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(match)
    return queryset


class LargeListAdmin:
    """Mixin for the change lists of tables with hundreds of thousands of rows.

    No COUNT(*) of the whole table per page load (an estimate instead, and no "N total" beside a
    filtered count), no per-filter counts, and sorting only by the columns named in
    `indexed_orderings`, which an index serves: sorting a million rows by title on every click
    is not something to offer.
    """

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    indexed_orderings = ()
    # Rendering a row costs far more than fetching it; 50 rows a page halves that cost.
    list_per_page = 50

    def action_checkbox(self, obj):
        # The same box Django draws, without a form widget's template per row (a third of the page's time).
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            gettext("Select this object for an action - %(obj)s") % {"obj": obj},
        )

    def get_sortable_by(self, request):
        def ordering(column):
            # A column is a field name, a callable, or the name of a method on this admin.
            method = getattr(self, column, None) if isinstance(column, str) else column
            return getattr(method, "admin_order_field", column)

        return [column for column in self.get_list_display(request) if ordering(column) in self.indexed_orderings]


class InputFilter(admin.ListFilter):
    """A filter the curator types into: one text box, whatever the number of possible values."""

    template = "admin/blocs/input_filter.html"
    parameter_name = None
    placeholder = ""

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.error = ""
        self.chosen = ""
        if self.parameter_name in params:
            value = params.pop(self.parameter_name)[-1].strip()
            if value:
                self.used_parameters[self.parameter_name] = value

    def value(self):
        return self.used_parameters.get(self.parameter_name)

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.parameter_name]

    def choices(self, changelist):
        # Every other parameter of the list (search, other filters, ordering) rides along as a
        # hidden field; the page number does not, since the filtered list starts again at page 1.
        others = [(k, v) for k, values in changelist.filter_params.items() if k != self.parameter_name for v in values]
        yield {
            "parameter_name": self.parameter_name,
            "value": self.value() or "",
            "placeholder": self.placeholder,
            "others": others,
            "chosen": self.chosen,
            "error": self.error,
            "clear_url": changelist.get_query_string(remove=[self.parameter_name]),
        }


class RecordFilter(InputFilter):
    """Filter by one bloc or country, typed as its slug or code or its name."""

    model = None
    code = None  # the field holding its short code, and how the code is written (see find)
    code_case = staticmethod(str.lower)
    lookup = None  # the path from the listed model to the bloc or country

    def find(self, text):
        match = Q(**{self.code: self.code_case(text)}) | Q(name__iexact=text)
        return self.model.objects.filter(match).order_by("pk").first()

    def queryset(self, request, queryset):
        text = self.value()
        if not text:
            return queryset
        record = self.find(text)
        if record is None:
            self.error = self.not_found % {"text": text}
            return queryset.none()
        self.chosen = str(record)
        return self.narrow(queryset, record)

    def narrow(self, queryset, record):
        return queryset.filter(**{self.lookup: record.pk})


class BlocFilter(RecordFilter):
    title = _("bloc")
    not_found = _("No bloc is called “%(text)s”.")
    parameter_name = "bloc"
    placeholder = _("slug or name, e.g. csto")
    model, code, lookup = Bloc, "slug", "bloc"


class CountryFilter(RecordFilter):
    title = _("country")
    not_found = _("No country is called “%(text)s”.")
    parameter_name = "country"
    placeholder = _("alpha-3 or name, e.g. KAZ")
    model, code, lookup = Country, "alpha3", "country"
    code_case = staticmethod(str.upper)
