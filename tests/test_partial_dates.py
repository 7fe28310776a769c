"""Partial dates: typed naturally, stored as first day + precision, shown as the sources give them."""

import datetime

import pytest

from eurasia.partial_dates import PartialDate, PartialDateFormField

D = datetime.date


@pytest.mark.parametrize(
    "text, date, precision",
    [
        ("2012", D(2012, 1, 1), "year"),
        ("2012-06", D(2012, 6, 1), "month"),
        ("2012-06-28", D(2012, 6, 28), "day"),
        (" 2012-6-3 ", D(2012, 6, 3), "day"),
        ("2012/06", D(2012, 6, 1), "month"),
        ("June 2012", D(2012, 6, 1), "month"),
        ("jun 2012", D(2012, 6, 1), "month"),
        ("28 June 2012", D(2012, 6, 28), "day"),
        ("June 28, 2012", D(2012, 6, 28), "day"),
        ("Sept 2009", D(2009, 9, 1), "month"),
    ],
)
def test_curators_can_type_dates_naturally(text, date, precision):
    assert PartialDate.parse(text) == PartialDate(date, precision)


@pytest.mark.parametrize(
    "text, message",
    [
        ("2012-13", "there is no month 13"),
        ("2012-02-30", "February 2012 has no day 30"),
        ("2013-02-29", "February 2013 has no day 29"),
        ("yesterday", "is not a date"),
        ("Smarch 2012", '"smarch" is not the name of a month'),
        ("0000", "the year must be 1 or later"),
        ("", "empty"),
        ("9" * 200, "too long"),
    ],
)
def test_bad_dates_get_a_readable_reason(text, message):
    with pytest.raises(ValueError, match=message):
        PartialDate.parse(text)


def test_leap_day_is_a_real_date():
    assert PartialDate.parse("2012-02-29").date == D(2012, 2, 29)


@pytest.mark.parametrize(
    "value, shown, iso, last",
    [
        (PartialDate(D(2012, 6, 12), "day"), "12 June 2012", "2012-06-12", D(2012, 6, 12)),
        (PartialDate(D(2012, 6, 1), "month"), "June 2012", "2012-06", D(2012, 6, 30)),
        (PartialDate(D(2014, 1, 1), "year"), "2014", "2014", D(2014, 12, 31)),
    ],
)
def test_display_iso_and_period_end(value, shown, iso, last):
    assert str(value) == shown
    assert value.iso == iso
    assert value.last_day == last


def test_a_month_is_stored_as_its_first_day():
    assert PartialDate(D(2012, 6, 17), "month").date == D(2012, 6, 1)
    assert PartialDate(D(2012, 6, 17), "year").date == D(2012, 1, 1)


def test_partial_dates_order_by_their_first_day():
    assert sorted([PartialDate.parse("2012-06-28"), PartialDate.parse("2012"), PartialDate.parse("2011-12")]) == [
        PartialDate.parse("2011-12"),
        PartialDate.parse("2012"),
        PartialDate.parse("2012-06-28"),
    ]


def test_form_field_cleans_to_a_partial_date_or_none():
    field = PartialDateFormField(required=False)
    assert field.clean("2012-06") == PartialDate(D(2012, 6, 1), "month")
    assert field.clean("") is None
    assert field.prepare_value(PartialDate(D(2012, 6, 1), "month")) == "2012-06"


def test_form_field_reports_the_reason():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="no month 13"):
        PartialDateFormField().clean("2012-13")
