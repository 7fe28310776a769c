"""A field's choice label by its value, each field's labels translated once per language.

Django's get_FOO_display() builds a dictionary of the field's choices at every call, and hashing
each lazy label translates it: a call costs as many translations as the field has choices (about
0.1 ms for a bloc's ten kinds). Pages that say a kind or a role on every row paid that per row:
30 ms of /blocs/ at the full synthetic world, for 240 labels. The models assign `display` as their
`_get_FIELD_display`, which every get_FOO_display() calls.
"""

from django.utils.encoding import force_str
from django.utils.translation import get_language

_labels = {}


def labels(field):
    """{value: label} of `field`'s choices in the active language."""
    key = (field, get_language())
    found = _labels.get(key)
    if found is None:
        found = _labels[key] = {value: str(label) for value, label in field.flatchoices}
    return found


def display(self, field):
    """What get_FOO_display() says: the label of the value, or the value itself when it is not a choice."""
    value = getattr(self, field.attname)
    try:
        return labels(field)[value]
    except (KeyError, TypeError):  # not a choice, or not hashable (as Django, the value then)
        return force_str(value, strings_only=True)
