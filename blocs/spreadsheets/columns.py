"""The columns of the spreadsheets: one cell to one value and back, by natural key, and the SQL that exports it.

Each widget cleans a cell as a curator typed it (codes in any case, dates in ISO reduced form, lists
of keys) with messages that name what is wrong, and writes a value back the same way; each column
knows whether a new record needs it. Exports are written by PostgreSQL: each widget also gives the
SQL expression that produces its cell (see resources.CuratedResource.export_query).
"""

from django.db import connection
from django.db.models import Case, F, Func, TextField, Value, When
from django.db.models.functions import NullIf
from django.utils.translation import gettext, pgettext, pgettext_lazy
from import_export import widgets
from import_export.fields import Field

from eurasia.partial_dates import PartialDate, Precision

from ..models import (
    Bloc,
    Country,
    Membership,
)

LIST_SEPARATOR = "; "
# The precisions as a message names them (the model's labels are the codes themselves).
PRECISION_NAMES = {
    Precision.DAY: pgettext_lazy("date precision", "day"),
    Precision.MONTH: pgettext_lazy("date precision", "month"),
    Precision.YEAR: pgettext_lazy("date precision", "year"),
}


def quoted(name):
    """A name as a message quotes it: “name” in English, «name» in Russian."""
    return pgettext("a name quoted in a message", "“%(name)s”") % {"name": name}


# --- Exports written by PostgreSQL ---------------------------------------------------------------
#
# Each widget can say in SQL what its render() gives, so that an export is one query over the admin
# list's own queryset: PostgreSQL's COPY writes the CSV, and the XLSX writer reads a server-side
# cursor. Memory stays flat and no record is built in Python.


def partial_iso_sql(date, precision):
    """SQL for PartialDate.iso: "2012", "2012-06" or "2012-06-28" (NULL without a date)."""
    return (
        f"to_char({date}, CASE {precision} WHEN 'year' THEN 'YYYY' WHEN 'month' THEN 'YYYY-MM' ELSE 'YYYY-MM-DD' END)"
    )


class PartialIso(Func):
    """partial_iso_sql() as an ORM expression, for the partial date `name` of the queryset's model."""

    output_field = TextField()

    def __init__(self, name):
        super().__init__(F(name), F(f"{name}_precision"))

    def as_sql(self, compiler, connection, **extra):
        (date, date_params), (precision, precision_params) = [
            compiler.compile(e) for e in self.get_source_expressions()
        ]
        return partial_iso_sql(date, precision), [*date_params, *precision_params]


class KeyList:
    """A column listing linked records by key, "a; b; c", aggregated once for the whole export.

    One pass over the link table, joined to the rows, instead of a subquery for every row.
    """

    def __init__(self, model, attribute, widget):
        self.m2m = model._meta.get_field(attribute)
        self.widget = widget

    def join(self, alias, rows):
        quote = connection.ops.quote_name
        through = self.m2m.remote_field.through
        owner = quote(through._meta.get_field(self.m2m.m2m_field_name()).column)
        target = quote(through._meta.get_field(self.m2m.m2m_reverse_field_name()).column)
        joins, label = self.widget.label_sql(self.m2m.related_model)
        # "C" collation: the same order as Python's sorted() in KeysWidget.render().
        return (
            f"LEFT JOIN (SELECT l.{owner} AS owner_id, string_agg({label}, '{LIST_SEPARATOR}' "
            f'ORDER BY {label} COLLATE "C") AS keys FROM {quote(through._meta.db_table)} l '
            f"JOIN {quote(self.m2m.related_model._meta.db_table)} t ON t.id = l.{target} {joins} "
            f"GROUP BY l.{owner}) {alias} ON {alias}.owner_id = {rows}.row_pk"
        )


# --- Widgets: one cell to one value, and back ----------------------------------------------------


class TextWidget(widgets.Widget):
    def __init__(self, strip=False, upper=False):
        super().__init__(coerce_to_string=False)
        self.strip, self.upper = strip, upper

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value)
        if self.strip:
            text = text.strip()
        return text.upper() if self.upper else text

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value

    def export_sql(self, model, attribute):
        """What render() gives, as an ORM expression (None for empty), for exports that PostgreSQL writes."""
        return NullIf(F(attribute), Value(""), output_field=TextField())


class WholeNumberWidget(widgets.Widget):
    text = False

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if text.isdigit():
            return int(text)
        raise ValueError(gettext("“%(value)s” is not a whole number.") % {"value": value})

    def render(self, value, obj=None, **kwargs):
        return value

    def export_sql(self, model, attribute):
        return F(attribute)


class YesNoWidget(widgets.Widget):
    """A yes-or-no flag, written "yes" or "no"; an empty cell is no."""

    YES = ("yes", "true", "1", "y")
    NO = ("no", "false", "0", "n", "")

    def __init__(self, what):
        super().__init__(coerce_to_string=False)
        self.what = what

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = "" if value is None else str(value).strip().casefold()
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(f"“{value}” is not yes or no: say whether the {self.what}.")

    def render(self, value, obj=None, **kwargs):
        return "yes" if value else "no"

    def export_sql(self, model, attribute):
        return Case(When(**{attribute: True}, then=Value("yes")), default=Value("no"), output_field=TextField())


class ChoiceWidget(TextWidget):
    """A code from a fixed list; the error lists the codes a curator may use."""

    def __init__(self, choices, what, blank=False):
        super().__init__(strip=True)
        self.choices, self.what, self.blank = choices, what, blank
        self.codes = {}
        for code, label in choices:
            self.codes.setdefault(str(label).casefold(), code)
            self.codes[code.casefold()] = code

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value)
        if not text and self.blank:
            return ""
        if text.casefold() in self.codes:
            return self.codes[text.casefold()]
        allowed = ", ".join(code for code, _ in self.choices)
        if not text:
            raise ValueError(
                gettext("The %(what)s is required: use one of %(allowed)s.") % {"what": self.what, "allowed": allowed}
            )
        raise ValueError(
            gettext("“%(text)s” is not a %(what)s: use one of %(allowed)s.")
            % {"text": text, "what": self.what, "allowed": allowed}
        )


class ListWidget(TextWidget):
    """Several short strings in one cell, such as a bloc's abbreviations."""

    def __init__(self, separator=","):
        super().__init__()
        self.separator = separator

    def clean(self, value, row=None, **kwargs):
        return [part.strip() for part in super().clean(value).split(self.separator) if part.strip()]

    def render(self, value, obj=None, **kwargs):
        return f"{self.separator} ".join(value or [])

    def export_sql(self, model, attribute):
        joined = Func(F(attribute), Value(f"{self.separator} "), function="array_to_string", output_field=TextField())
        return NullIf(joined, Value(""), output_field=TextField())


class PartialDateWidget(widgets.Widget):
    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(int(value)) if float(value).is_integer() else str(value)
        return PartialDate.parse(value)

    def render(self, value, obj=None, **kwargs):
        return value.iso if value else ""

    def export_sql(self, model, attribute):
        return PartialIso(attribute)


class KeyWidget(widgets.Widget):
    """A record named by its natural key; the table of known records is loaded once per import."""

    def __init__(self, model, key, what, upper=False):
        super().__init__(coerce_to_string=False)
        self.model, self.key, self.what, self.upper = model, key, what, upper
        self.table = None
        self._by_pk = None

    def load(self):
        self.table = {getattr(obj, self.key): obj for obj in self.model.objects.all()}
        self._by_pk = None

    def remember(self, obj):
        if self.table is not None:
            self.table[getattr(obj, self.key)] = obj
            self._by_pk = None

    def by_pk(self):
        """The loaded records by primary key, made once per loaded table (the preview asks for every row)."""
        if self.table is None:
            self.load()
        if self._by_pk is None:
            self._by_pk = {obj.pk: obj for obj in self.table.values()}
        return self._by_pk

    def code(self, value):
        text = str(value).strip()
        return text.upper() if self.upper else text

    def find(self, value):
        if self.table is None:
            self.load()
        code = self.code(value)
        if code not in self.table:
            raise ValueError(
                gettext("There is no %(what)s “%(code)s” in the database.") % {"what": self.what, "code": code}
            )
        return self.table[code]

    def clean(self, value, row=None, **kwargs):
        if value is None or not str(value).strip():
            return None
        return self.find(value)

    def render(self, value, obj=None, **kwargs):
        return getattr(value, self.key) if value is not None else ""

    def export_sql(self, model, attribute):
        return F(f"{attribute}__{self.key}")


class KeysWidget(widgets.ManyToManyWidget):
    """Several records named by natural keys, separated by semicolons (commas are accepted too)."""

    def __init__(self, model, key, what, upper=False):
        super().__init__(model, separator=LIST_SEPARATOR, field=key)
        self.single = KeyWidget(model, key, what, upper)

    @staticmethod
    def split(value):
        if value is None:
            return []
        return [part.strip() for part in str(value).replace(",", ";").split(";") if part.strip()]

    def clean(self, value, row=None, **kwargs):
        found, unknown = {}, []
        for part in self.split(value):
            try:
                obj = self.single.find(part)
                found[obj.pk] = obj
            except ValueError:
                unknown.append(quoted(self.single.code(part)))
        if unknown:
            raise ValueError(
                gettext("There is no %(what)s %(codes)s in the database.")
                % {"what": self.single.what, "codes": ", ".join(unknown)}
            )
        return list(found.values())

    def clean_pks(self, value):
        return [obj.pk for obj in self.clean(value)]

    def label(self, obj):
        return getattr(obj, self.field)

    def labels(self, pks):
        """label() of each record named by primary key, for the import preview."""
        if self.single.table is None:
            self.single.load()
        by_pk = self.single.by_pk()
        return [self.label(by_pk[pk]) for pk in pks if pk in by_pk]

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        items = value.all() if hasattr(value, "all") else value
        return LIST_SEPARATOR.join(sorted(self.label(item) for item in items))

    def label_sql(self, table):
        """SQL for label() of a row of `table` aliased t: (joins it needs, the expression)."""
        return "", f"t.{connection.ops.quote_name(table._meta.get_field(self.field).column)}"

    def export_sql(self, model, attribute):
        return KeyList(model, attribute, self)


class SpellsWidget(KeysWidget):
    """Membership spells named as bloc/ALPHA3/start, such as csto/ARM/1994-04-20."""

    def __init__(self):
        super().__init__(Membership, "pk", "membership spell")
        self.table = None
        self.names = None

    def load(self):
        # Only ids and names: an import may name any of hundreds of thousands of spells.
        self.spells = Membership.objects.values_list("pk", "bloc__slug", "country__alpha3", "start", "start_precision")
        self.table = {(slug, code, start): pk for pk, slug, code, start, _ in self.spells}
        self.names = None  # {pk: name}, made by labels() when the preview first asks

    def label(self, spell):
        return f"{spell.bloc.slug}/{spell.country.alpha3}/{spell.partial_date('start').iso}"

    def labels(self, pks):
        if self.table is None:
            self.load()
        if self.names is None:
            self.names = {pk: f"{slug}/{code}/{PartialDate(start, p).iso}" for pk, slug, code, start, p in self.spells}
        return [self.names[pk] for pk in pks if pk in self.names]

    def label_sql(self, table):
        joins = (
            f"JOIN {Bloc._meta.db_table} b ON b.id = t.bloc_id JOIN {Country._meta.db_table} c ON c.id = t.country_id"
        )
        return joins, f"b.slug || '/' || c.alpha3 || '/' || {partial_iso_sql('t.start', 't.start_precision')}"

    def clean(self, value, row=None, **kwargs):
        return list(Membership.objects.filter(pk__in=self.clean_pks(value)))

    def clean_pks(self, value):
        parts = self.split(value)
        if not parts:
            return []
        if self.table is None:
            self.load()
        found = []
        for part in parts:
            pieces = part.split("/")
            try:
                if len(pieces) != 3:
                    raise ValueError
                slug, code, start = pieces[0].strip(), pieces[1].strip().upper(), PartialDate.parse(pieces[2]).date
            except ValueError:
                raise ValueError(
                    gettext("“%(part)s” does not name a spell: write bloc/ALPHA3/start, such as csto/ARM/1994-04-20.")
                    % {"part": part}
                )
            if (slug, code, start) not in self.table:
                raise ValueError(gettext("There is no spell “%(part)s” in the database.") % {"part": part})
            found.append(self.table[(slug, code, start)])
        return found


# --- Fields: one column each ---------------------------------------------------------------------


class Column(Field):
    """A resource column that knows whether a new record needs it."""

    def __init__(self, attribute, column_name, widget=None, required=False, readonly=False):
        super().__init__(attribute=attribute, column_name=column_name, widget=widget or TextWidget(), readonly=readonly)
        self.required = required

    @property
    def is_m2m(self):
        return isinstance(self.widget, widgets.ManyToManyWidget)

    def export_sql(self, model):
        return self.widget.export_sql(model, self.attribute)


class PartialDateColumn(Column):
    """An ISO reduced date setting both the date and its precision; a precision column must agree."""

    def __init__(self, name, column_name, required=False):
        super().__init__(name, column_name, PartialDateWidget(), required)
        self.precision_column = f"{column_name} precision"

    def get_value(self, instance):
        return instance.partial_date(self.attribute)

    def clean_partial(self, row):
        """The row's PartialDate (or None), checked against the row's precision column if it has one."""
        return self.agree(self.clean(row), row.get(self.precision_column))

    def agree(self, value, stated):
        """`value` (a PartialDate or None) if the precision column's cell `stated` agrees with it."""
        stated = str(stated or "").strip().lower()
        if value and stated and stated != value.precision:
            raise ValueError(
                gettext(
                    "“%(date)s” gives the %(precision)s, but the “%(column)s” column says “%(stated)s”: make them "
                    "agree (the date's form decides, so usually clear or fix that cell)."
                )
                % {
                    "date": value.iso,
                    "precision": PRECISION_NAMES[value.precision],
                    "column": self.precision_column,
                    "stated": stated,
                }
            )
        return value

    def save(self, instance, row, is_m2m=False, **kwargs):
        value = self.clean_partial(row)
        setattr(instance, self.attribute, value.date if value else None)
        setattr(instance, f"{self.attribute}_precision", value.precision if value else Precision.DAY)


class PrecisionColumn(Column):
    """Export-only: the precision of a partial date (day, month or year); checked on import."""

    def __init__(self, name, column_name):
        super().__init__(f"{name}_precision", column_name, readonly=True)
        self.date_name = name

    def get_value(self, instance):
        value = instance.partial_date(self.date_name)
        return value.precision if value else ""

    def export_sql(self, model):
        return Case(When(**{f"{self.date_name}__isnull": True}, then=Value(None)), default=F(self.attribute))


def partial_date_columns(name, label, required=False):
    return PartialDateColumn(name, label, required), PrecisionColumn(name, f"{label} precision")
