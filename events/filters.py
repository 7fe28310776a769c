"""The events list's filters in the admin: a bloc, a country (through the link tables) and a year or span of years."""

import re

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from blocs.changelists import BlocFilter, CountryFilter, InputFilter


class EventBlocFilter(BlocFilter):
    def narrow(self, queryset, record):
        return queryset.for_bloc(record)


class EventCountryFilter(CountryFilter):
    def narrow(self, queryset, record):
        return queryset.for_country(record)


YEARS = re.compile(r"^(\d{1,4})(?:\s*[-–]\s*(\d{1,4}))?$")


class YearFilter(InputFilter):
    """Events of one year or a span of years, read through the date index."""

    title = _("year")
    parameter_name = "year"
    placeholder = _("1991 or 1991-1999")

    def queryset(self, request, queryset):
        text = self.value()
        if not text:
            return queryset
        match = YEARS.match(text)
        first, last = (int(match[1]), int(match[2] or match[1])) if match else (0, 0)
        if not match or not 1 <= first <= last <= 9999:
            self.error = gettext("“%(text)s” is not a year or a span of years; type 1991 or 1991-1999.") % {
                "text": text
            }
            return queryset.none()
        self.chosen = str(first) if first == last else f"{first}–{last}"
        return queryset.filter(date__year__gte=first, date__year__lte=last)
