"""The blocs app's records in spreadsheets: sources, countries, blocs and spells, by natural key.

The shared machinery (checking whole files, bulk writes with history, exports as one SQL query)
is blocs.spreadsheets.curated.CuratedResource; events have theirs in events/resources.py.
"""

from django.db import connection
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from eurasia.partial_dates import PartialDate

from .models import (
    Bloc,
    BlocClaim,
    BlocKind,
    Country,
    EndReason,
    Membership,
    MembershipClaim,
    Role,
    Source,
    SuspensionKind,
)
from .periods import column_sql, overlap_sql
from .spreadsheets.claims import ClaimResource, SpellOwnerWidget
from .spreadsheets.columns import (
    ChoiceWidget,
    Column,
    KeysWidget,
    KeyWidget,
    ListWidget,
    TextWidget,
    WholeNumberWidget,
    YesNoWidget,
    partial_date_columns,
)
from .spreadsheets.copying import array_literal
from .spreadsheets.curated import CuratedResource


class SourceResource(CuratedResource):
    key = Column("key", "key", TextWidget(strip=True), required=True)
    title = Column("title", "title")
    title_checked = Column("title_checked", "title checked", YesNoWidget("title was checked against the page"))
    publisher = Column("publisher", "publisher")
    kind = Column("kind", "kind")
    url = Column("url", "URL", TextWidget(strip=True))
    published, published_precision = partial_date_columns("published", "published")
    notes = Column("notes", "notes")

    key_fields = ("key",)
    what = pgettext_lazy("what a row names", "source")

    class Meta(CuratedResource.Meta):
        model = Source
        name = _("Sources by key")
        fields = (
            "key",
            "title",
            "title_checked",
            "publisher",
            "kind",
            "url",
            "published",
            "published_precision",
            "notes",
        )


class CountryResource(CuratedResource):
    alpha3 = Column("alpha3", "alpha-3", TextWidget(strip=True, upper=True), required=True)
    alpha2 = Column("alpha2", "alpha-2", TextWidget(strip=True, upper=True), required=True)
    name = Column("name", "name", TextWidget(strip=True), required=True)
    name_ru = Column("name_ru", "name_ru", TextWidget(strip=True))
    cow_code = Column("cow_code", "COW code", WholeNumberWidget())
    other_names = Column("other_names", "other names")
    notes = Column("notes", "notes")

    key_fields = ("alpha3",)
    translations = ("name_ru",)
    what = pgettext_lazy("what a row names", "country")
    unique_fields = ("alpha2", "name", "cow_code")

    class Meta(CuratedResource.Meta):
        model = Country
        name = _("Countries by alpha-3 code")
        # The Russian name comes last, so that files made before it keep their column order.
        fields = ("alpha3", "alpha2", "name", "cow_code", "other_names", "notes", "name_ru")


class BlocResource(CuratedResource):
    slug = Column("slug", "slug", TextWidget(strip=True), required=True)
    name = Column("name", "name", TextWidget(strip=True), required=True)
    name_ru = Column("name_ru", "name_ru", TextWidget(strip=True))
    abbreviations = Column("abbreviations", "abbreviations", ListWidget(","))
    kind = Column(
        "kind", "kind", ChoiceWidget(BlocKind.choices, pgettext_lazy("what a cell names", "bloc kind")), required=True
    )
    founded, founded_precision = partial_date_columns("founded", "founded")
    dissolved, dissolved_precision = partial_date_columns("dissolved", "dissolved")
    parent = Column("parent", "parent", KeyWidget(Bloc, "slug", pgettext_lazy("what a cell names", "bloc")))
    predecessors = Column(
        "predecessors", "predecessors", KeysWidget(Bloc, "slug", pgettext_lazy("what a cell names", "bloc"))
    )
    description = Column("description", "description")
    notes = Column("notes", "notes")
    sources = Column("sources", "sources", KeysWidget(Source, "key", pgettext_lazy("what a cell names", "source")))

    key_fields = ("slug",)
    translations = ("name_ru",)
    what = pgettext_lazy("what a row names", "bloc")
    select_related = ("parent",)
    prefetch = ("predecessors", "sources")

    class Meta(CuratedResource.Meta):
        model = Bloc
        name = _("Blocs by slug")
        fields = (
            "slug",
            "name",
            "abbreviations",
            "kind",
            "founded",
            "founded_precision",
            "dissolved",
            "dissolved_precision",
            "parent",
            "predecessors",
            "description",
            "notes",
            "sources",
            "name_ru",
        )
        # Blocs name each other (parent, predecessors), so each is saved before the rows that
        # name it; they are few, and saved one at a time with full validation.
        use_bulk = False

    def prepare_import(self, dataset):
        super().prepare_import(dataset)
        self.fields["parent"].widget.table = self.fields["predecessors"].widget.single.table
        self.order_rows(dataset)

    def order_rows(self, dataset):
        """Put every bloc after the blocs it names, remembering where each row was in the file."""
        headers = dataset.headers
        rows = [dict(zip(headers, row, strict=False)) for row in dataset]
        slugs = {str(row.get("slug") or "").strip(): i for i, row in enumerate(rows)}
        order, state = [], {}

        def visit(i):
            if state.get(i) == "done" or state.get(i) == "open":
                return  # a cycle is reported when the rows are validated
            state[i] = "open"
            row = rows[i]
            named = [str(row.get("parent") or "").strip()]
            named += KeysWidget.split(row.get("predecessors"))
            for slug in named:
                if slug in slugs and slugs[slug] != i:
                    visit(slugs[slug])
            state[i] = "done"
            order.append(i)

        for i in range(len(rows)):
            visit(i)
        self.file_row = {position: i + 1 for position, i in enumerate(order, 1)}
        reordered = [dataset[i] for i in order]
        dataset.wipe()
        dataset.headers = headers
        for row in reordered:
            dataset.append(row)

    def before_import_row(self, row, **kwargs):
        self.current_row = self.file_row.get(kwargs.get("row_number", 0), 0)

    def row_label(self, number):
        return gettext("Row %(number)s") % {"number": self.file_row.get(number, number) + 1}

    def after_save_instance(self, instance, row, **kwargs):
        self.fields["parent"].widget.remember(instance)


class MembershipResource(CuratedResource):
    country = Column(
        "country",
        "country",
        KeyWidget(Country, "alpha3", pgettext_lazy("what a cell names", "country"), upper=True),
        required=True,
    )
    bloc = Column("bloc", "bloc", KeyWidget(Bloc, "slug", pgettext_lazy("what a cell names", "bloc")), required=True)
    role = Column("role", "role", ChoiceWidget(Role.choices, pgettext_lazy("what a cell names", "role")))
    start, start_precision = partial_date_columns("start", "start", required=True)
    suspension_start, suspension_start_precision = partial_date_columns("suspension_start", "suspension start")
    suspension_end, suspension_end_precision = partial_date_columns("suspension_end", "suspension end")
    suspension_kind = Column(
        "suspension_kind",
        "suspension kind",
        ChoiceWidget(SuspensionKind.choices, pgettext_lazy("what a cell names", "suspension kind"), blank=True),
    )
    end, end_precision = partial_date_columns("end", "end")
    end_reason = Column(
        "end_reason",
        "end reason",
        ChoiceWidget(EndReason.choices, pgettext_lazy("what a cell names", "end reason"), blank=True),
    )
    notes = Column("notes", "notes")
    sources = Column("sources", "sources", KeysWidget(Source, "key", pgettext_lazy("what a cell names", "source")))

    key_fields = ("country", "bloc", "start")

    def existing_records(self, dataset):
        # Only the spells of the countries and blocs the file names: loading all 200,000 spells
        # (and their sources) for every import made a 100-row file take minutes.
        return self.get_queryset().filter(
            country__in=self.named_in(dataset, "country"), bloc__in=self.named_in(dataset, "bloc")
        )

    what = pgettext_lazy("what a row names", "membership spell")
    select_related = ("country", "bloc")
    prefetch = ("sources",)

    class Meta(CuratedResource.Meta):
        model = Membership
        name = _("Membership spells by country, bloc and start")
        fields = (
            "country",
            "bloc",
            "role",
            "start",
            "start_precision",
            "suspension_start",
            "suspension_start_precision",
            "suspension_end",
            "suspension_end_precision",
            "suspension_kind",
            "end",
            "end_precision",
            "end_reason",
            "notes",
            "sources",
        )

    def batch_problems(self, instances):
        """Overlapping spells, against the database and the rest of the file, in one query."""
        problems = super().batch_problems(instances)
        if not instances:
            return problems
        # The whole file goes in as six arrays, one query however many rows it has.
        params = [
            array_literal(range(len(instances))),
            *[
                array_literal(getattr(spell, name) for spell in instances)
                for name in ("pk", "country_id", "bloc_id", "start", "end")
            ],
        ]
        table = connection.ops.quote_name(Membership._meta.db_table)
        m = {
            name: column_sql(Membership, "m", name)
            for name in ("id", "country", "bloc", "start", "start_precision", "end", "end_precision")
        }
        with connection.cursor() as cursor:
            cursor.execute(
                f"""WITH incoming AS (
                  SELECT * FROM unnest(%s::int[], %s::bigint[], %s::bigint[], %s::bigint[], %s::date[], %s::date[])
                    AS i (n, id, country_id, bloc_id, start, stop))
                SELECT i.n, NULL, {m["start"]}, {m["start_precision"]}, {m["end"]}, {m["end_precision"]}
                FROM incoming i JOIN {table} m ON {m["country"]} = i.country_id AND {m["bloc"]} = i.bloc_id
                  AND {overlap_sql((m["start"], m["end"]), ("i.start", "i.stop"))}
                WHERE {m["id"]} NOT IN (SELECT id FROM incoming WHERE id IS NOT NULL)
                UNION ALL
                SELECT a.n, b.n, NULL, NULL, NULL, NULL
                FROM incoming a JOIN incoming b ON b.n < a.n AND a.country_id = b.country_id
                  AND a.bloc_id = b.bloc_id AND {overlap_sql(("a.start", "a.stop"), ("b.start", "b.stop"))}""",
                params,
            )
            for n, other, start, start_p, end, end_p in cursor.fetchall():
                spell = instances[n]
                if other is not None:
                    text = gettext("This spell overlaps the spell in row %(row)s of this file.") % {
                        "row": instances[other]._import_row + 1
                    }
                else:
                    until = PartialDate(end, end_p).iso if end else gettext("now")
                    text = gettext(
                        "This spell overlaps the spell of %(country)s in %(bloc)s from %(start)s to %(until)s "
                        "already recorded."
                    ) % {
                        "country": spell.country.alpha3,
                        "bloc": spell.bloc.slug,
                        "start": PartialDate(start, start_p).iso,
                        "until": until,
                    }
                problems.add(spell, "start", text)
        return problems


CLAIM_COLUMNS = ("field", "value", "value_precision", "rank", "reason", "reading", "sources")


class MembershipClaimResource(ClaimResource):
    country = Column("membership__country__alpha3", "country", TextWidget(strip=True, upper=True), readonly=True)
    bloc = Column("membership__bloc__slug", "bloc", TextWidget(strip=True), readonly=True)
    membership = Column("membership", "spell start", SpellOwnerWidget(), required=True)
    field = ClaimResource.field_column(MembershipClaim)

    owner_column = "spell start"
    owner_parts = ("country", "bloc")
    what = "claim about a spell"
    select_related = ("reading", "membership__country", "membership__bloc")

    class Meta(ClaimResource.Meta):
        model = MembershipClaim
        name = "Claims about spells, by country, bloc and spell start"
        fields = ("country", "bloc", "membership", *CLAIM_COLUMNS)


class BlocClaimResource(ClaimResource):
    bloc = Column("bloc", "bloc", KeyWidget(Bloc, "slug", "bloc"), required=True)
    field = ClaimResource.field_column(BlocClaim)

    owner_column = "bloc"
    what = "claim about a bloc"
    select_related = ("reading", "bloc")

    class Meta(ClaimResource.Meta):
        model = BlocClaim
        name = "Claims about blocs' founding and dissolution, by bloc slug"
        fields = ("bloc", *CLAIM_COLUMNS)
