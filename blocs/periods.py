"""The rule for a period held in two date fields, written once: from its first day up to, not including, its end.

A spell is in force, a suspension holds and a bloc exists by this rule, and two spells overlap
when their periods share a day. The models name their fields and call these; each form of the
rule (Python, the ORM's Q, raw SQL for /data/ and the imports) is here and nowhere else.
"""

from django.db import connection
from django.db.models import Q

from eurasia.partial_dates import Precision

# PostgreSQL's range bounds for the same rule: the first day included, the end excluded.
BOUNDS = "[)"


def covers(start, end, day, *, open_start=False):
    """Whether the period [start, end) holds `day`.

    An empty end has not come yet. An empty start has not begun, unless `open_start`: a bloc
    whose founding date is not recorded is taken to exist.
    """
    if start is None and not open_start:
        return False
    return (start is None or start <= day) and (end is None or day < end)


def covers_q(start, end, day, *, open_start=False):
    """`covers` as a Q over the field paths `start` and `end` (such as "memberships__start")."""
    begun = Q(**{f"{start}__lte": day})
    if open_start:
        begun = Q(**{f"{start}__isnull": True}) | begun
    return begun & (Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": day}))


def covers_sql(start, end, first, last=None, *, open_start=False):
    """`covers` as SQL over the expressions `start` and `end`: true when the period holds at
    least one day from `first` to `last` (one day, `first`, when `last` is left out)."""
    last = last or first
    begun = f"{start} <= {last}"
    if open_start:
        begun = f"({start} IS NULL OR {begun})"
    return f"{begun} AND ({end} IS NULL OR {end} > {first})"


def overlap(start, end, other_start, other_end):
    """Whether the periods [start, end) and [other_start, other_end) share at least one day."""
    return (other_end is None or start < other_end) and (end is None or other_start < end)


def overlap_q(start, end, other_start, other_end):
    """Records whose period in the fields `start` and `end` shares a day with [other_start, other_end)."""
    q = Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": other_start})
    if other_end is not None:
        q &= Q(**{f"{start}__lt": other_end})
    return q


def overlap_sql(period, other):
    """`overlap` as SQL over two (start, end) pairs of expressions, as the exclusion constraint asks it."""
    return f"daterange({period[0]}, {period[1]}, '{BOUNDS}') && daterange({other[0]}, {other[1]}, '{BOUNDS}')"


def column_sql(model, alias, name):
    """The column of `model`'s field `name` under the table alias `alias`, named by the model."""
    return f"{alias}.{connection.ops.quote_name(model._meta.get_field(name).column)}"


def end_sql(model, alias, name, *, widen=False):
    """The end of a period in SQL. With `widen`, an end known only to its month or year is moved
    past that period's first day, so that the period still touches that month or year."""
    end = column_sql(model, alias, name)
    if not widen:
        return end
    precision = column_sql(model, alias, f"{name}_precision")
    return f"({end} + CASE WHEN {precision} = '{Precision.DAY}' THEN 0 ELSE 1 END)"
