"""Partial dates: a date known to the day, the month or only the year, as the sources give it.

A partial date is stored as two columns, the first day of its period and its precision, so that
SQL ranges and ordering work. `partial_date_fields()` declares the pair on a model,
`PartialDateFormField` lets a curator type "2012", "2012-06" or "2012-06-28" in one box, and
`PartialDate` parses, displays ("June 2012") and exchanges (ISO reduced dates) the value.
"""

import calendar
import datetime
import re
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from eurasia.languages import russian_page


class Precision(models.TextChoices):
    DAY = "day", "day"
    MONTH = "month", "month"
    YEAR = "year", "year"


MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9

_ISO = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\s+([a-z]+)\.?,?\s+(\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")
_MONTH_YEAR = re.compile(r"^([a-z]+)\.?,?\s+(\d{4})$")

_PRECISIONS = frozenset(Precision.values)

# A month alone is named in the nominative ("июнь 2012 г."), after a day in the genitive ("28 июня").
RUSSIAN_MONTHS = ("январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь").split()
RUSSIAN_MONTHS_GENITIVE = ("января февраля марта апреля мая июня июля августа сентября октября ноября декабря").split()

FORMAT_HELP = gettext_noop('Type "2012", "2012-06" or "2012-06-28" (or "June 2012", "28 June 2012").')


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date with its precision; `date` is always the first day of the period."""

    date: datetime.date
    precision: str = Precision.DAY

    def __post_init__(self):
        # A set made once: Precision.values builds a new list on every call, and imports make
        # hundreds of thousands of partial dates.
        if self.precision not in _PRECISIONS:
            raise ValueError(f"Unknown precision {self.precision!r}: use day, month or year.")
        first = self.period_start(self.date, self.precision)
        if first != self.date:
            object.__setattr__(self, "date", first)

    @staticmethod
    def period_start(day, precision):
        if precision == Precision.YEAR:
            return day.replace(month=1, day=1)
        if precision == Precision.MONTH:
            return day.replace(day=1)
        return day

    @classmethod
    def parse(cls, text):
        """Read what a curator or a spreadsheet gives; raise ValueError with a readable reason."""
        if isinstance(text, PartialDate):
            return text
        if isinstance(text, datetime.datetime):
            return cls(text.date(), Precision.DAY)
        if isinstance(text, datetime.date):
            return cls(text, Precision.DAY)
        raw = str(text).strip()
        value = raw.lower()
        if not value:
            raise ValueError(gettext("The date is empty."))
        if len(value) > 40:
            raise ValueError(gettext("That is too long to be a date.") + " " + gettext(FORMAT_HELP))
        if m := _ISO.match(value):
            year, month, day = m.groups()
            return cls._build(raw, int(year), month and int(month), day and int(day))
        if m := _DAY_MONTH_YEAR.match(value):
            day, month, year = m.groups()
            return cls._build(raw, int(year), cls._month(raw, month), int(day))
        if m := _MONTH_DAY_YEAR.match(value):
            month, day, year = m.groups()
            return cls._build(raw, int(year), cls._month(raw, month), int(day))
        if m := _MONTH_YEAR.match(value):
            month, year = m.groups()
            return cls._build(raw, int(year), cls._month(raw, month), None)
        raise ValueError(gettext('"%(raw)s" is not a date.') % {"raw": raw} + " " + gettext(FORMAT_HELP))

    @staticmethod
    def _month(raw, name):
        if name not in MONTHS:
            raise ValueError(gettext('"%(raw)s": "%(name)s" is not the name of a month.') % {"raw": raw, "name": name})
        return MONTHS[name]

    @classmethod
    def _build(cls, raw, year, month, day):
        if year < 1:
            raise ValueError(gettext('"%(raw)s": the year must be 1 or later.') % {"raw": raw})
        if month is None:
            return cls(datetime.date(year, 1, 1), Precision.YEAR)
        if not 1 <= month <= 12:
            raise ValueError(gettext('"%(raw)s": there is no month %(month)s.') % {"raw": raw, "month": month})
        if day is None:
            return cls(datetime.date(year, month, 1), Precision.MONTH)
        try:
            return cls(datetime.date(year, month, day), Precision.DAY)
        except ValueError:
            raise ValueError(
                gettext('"%(raw)s": %(month)s has no day %(day)s.')
                % {"raw": raw, "month": PartialDate(datetime.date(year, month, 1), Precision.MONTH), "day": day}
            ) from None

    @property
    def iso(self):
        """ISO 8601 reduced precision: "2012", "2012-06" or "2012-06-28"."""
        if self.precision == Precision.YEAR:
            return f"{self.date.year:04d}"
        if self.precision == Precision.MONTH:
            return f"{self.date.year:04d}-{self.date.month:02d}"
        return self.date.isoformat()

    @property
    def last_day(self):
        """The last day of the period the date stands for."""
        if self.precision == Precision.YEAR:
            return self.date.replace(month=12, day=31)
        if self.precision == Precision.MONTH:
            return self.date.replace(day=calendar.monthrange(self.date.year, self.date.month)[1])
        return self.date

    def __str__(self):
        if russian_page():
            return self.russian()
        return self.english()

    def english(self):
        """ "2012", "June 2012" or "28 June 2012"."""
        if self.precision == Precision.YEAR:
            return str(self.date.year)
        if self.precision == Precision.MONTH:
            return f"{calendar.month_name[self.date.month]} {self.date.year}"
        return f"{self.date.day} {calendar.month_name[self.date.month]} {self.date.year}"

    def russian(self):
        """As a Russian reader writes it: "2012 г.", "июнь 2012 г.", "28 июня 2012 г."."""
        if self.precision == Precision.YEAR:
            return f"{self.date.year} г."
        if self.precision == Precision.MONTH:
            return f"{RUSSIAN_MONTHS[self.date.month - 1]} {self.date.year} г."
        return f"{self.date.day} {RUSSIAN_MONTHS_GENITIVE[self.date.month - 1]} {self.date.year} г."


def partial_date_fields(label, help_text, required=False):
    """The (date, precision) pair of model fields for one partial date.

    Use as `start, start_precision = partial_date_fields("start", "...")` so that each pair
    is declared once and migrations see two ordinary columns.
    """
    date = models.DateField(
        label,
        null=not required,
        blank=not required,
        help_text=format_lazy("{} {}", help_text, _(FORMAT_HELP)),
    )
    precision = models.CharField(
        format_lazy(_("{label} precision"), label=label),
        max_length=5,
        choices=Precision.choices,
        default=Precision.DAY,
        help_text=_("How much of the date the sources give: the day, the month or only the year."),
    )
    return date, precision


def precision_constraint(name, prefix):
    """A month is stored as its first day and a year as 1 January; the database holds to it."""
    date, precision = name, f"{name}_precision"
    return models.CheckConstraint(
        condition=Q(**{f"{date}__isnull": True})
        | Q(**{precision: Precision.DAY})
        | Q(**{precision: Precision.MONTH, f"{date}__day": 1})
        | Q(**{precision: Precision.YEAR, f"{date}__day": 1, f"{date}__month": 1}),
        name=f"{prefix}_{name}_matches_precision",
        violation_error_message=f"The {name.replace('_', ' ')} must be the first day of its month or year.",
    )


class PartialDateFormField(forms.CharField):
    """One text box for a partial date; cleans to a PartialDate (or None when left empty)."""

    def __init__(self, **kwargs):
        # Length is checked by PartialDate.parse; CharField's validators would see the parsed value.
        attrs = {"placeholder": "YYYY, YYYY-MM or YYYY-MM-DD", "size": 26, "maxlength": 40}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, PartialDate):
            return value.iso
        return value

    def has_changed(self, initial, data):
        # The form shows "2012-06" and gets back "2012-06"; only a different date is a change.
        try:
            before = PartialDate.parse(initial) if initial not in self.empty_values else None
            return before != self.to_python(data)
        except (ValueError, ValidationError):
            return True

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return PartialDate.parse(value)
        except ValueError as e:
            raise ValidationError(str(e), code="invalid") from None


class PartialDateFormMixin:
    """For ModelForms: each partial date of the model becomes one forgiving text box.

    The model lists its partial dates in `PARTIAL_DATES`; the form shows "2012-06" and on save
    writes both the date and its precision.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model = self._meta.model
        for name in getattr(model, "PARTIAL_DATES", ()):
            self.fields.pop(f"{name}_precision", None)
            if name not in self.fields:
                continue
            model_field = model._meta.get_field(name)
            self.fields[name] = PartialDateFormField(
                required=not model_field.blank,
                label=model_field.verbose_name.capitalize(),
                help_text=model_field.help_text,
            )
            if self.instance.pk and getattr(self.instance, name):
                self.initial[name] = self.instance.partial_date(name).iso

    def clean(self):
        cleaned = super().clean()
        for name in getattr(self._meta.model, "PARTIAL_DATES", ()):
            if name not in self.fields or name not in cleaned:
                continue
            value = cleaned[name]
            cleaned[name] = value.date if value else None
            setattr(
                self.instance,
                f"{name}_precision",
                value.precision if value else Precision.DAY,
            )
        return cleaned


class HasPartialDates:
    """Model mixin: `obj.partial_date("start")` gives the PartialDate (or None) of a declared pair."""

    PARTIAL_DATES: tuple[str, ...] = ()

    def partial_date(self, name):
        day = getattr(self, name)
        if day is None:
            return None
        return PartialDate(day, getattr(self, f"{name}_precision"))
