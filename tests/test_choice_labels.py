"""get_FOO_display() through eurasia.choice_labels: Django's own labels, in either language, for every choice."""

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from blocs.models import Bloc, BlocKind

FIELDS = [
    (model, field)
    for model in apps.get_models()
    if model._get_FIELD_display is not models.Model._get_FIELD_display
    for field in model._meta.concrete_fields
    if field.choices
]


def test_the_records_with_choices_say_their_labels_through_it():
    names = {f"{model.__name__}.{field.name}" for model, field in FIELDS}
    assert {"Bloc.kind", "Event.kind", "Membership.role", "Membership.end_reason", "MembershipClaim.rank"} <= names


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("model, field", FIELDS, ids=[f"{m.__name__}.{f.name}" for m, f in FIELDS])
def test_each_label_is_djangos_own(model, field, language):
    record = model()
    with translation.override(language):
        for value, _label in field.flatchoices:
            setattr(record, field.attname, value)
            said = getattr(record, f"get_{field.name}_display")()
            assert said == models.Model._get_FIELD_display(record, field)
            assert isinstance(said, str)


def test_the_language_is_the_readers_and_an_unknown_value_is_said_as_it_is():
    bloc = Bloc(kind=BlocKind.MILITARY_ALLIANCE)
    with translation.override("en"):
        assert bloc.get_kind_display() == "military alliance"
    with translation.override("ru"):
        assert bloc.get_kind_display() == "военный союз"
    bloc.kind = "not-a-kind"
    assert bloc.get_kind_display() == "not-a-kind"
    bloc.kind = None
    assert bloc.get_kind_display() is None
