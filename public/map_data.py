"""What the map of a day shows: the blocs a reader chose to colour, and each country's standing in them."""

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Func,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, NullIf
from django.shortcuts import render
from django.utils.translation import gettext, pgettext

from blocs.models import (
    Membership,
    Role,
    SuspensionKind,
    local_name,
)
from eurasia.languages import russian_page

from . import maps
from .links import country_url as url_for_country

CHOICES_OFFERED = 40  # past this many blocs, the map's chooser is a typed-in field, not a box per bloc
MAP_LINES = 6  # memberships named in a country's tooltip on the map


def bad_map_choice(request, error):
    return render(request, "public/bad_map_choice.html", {"message": str(error)}, status=400)


def map_choice_context(choice, existing):
    """What the chooser beside the map offers: the families, the article's map, and the blocs in existence that day.

    A box per bloc while they are few; past CHOICES_OFFERED, a field to type their short names in.
    """
    families = [("", gettext("every family"), choice.is_every_family)]
    families += [(f"?family={key}", words, choice.family == key) for key, (words, _) in maps.FAMILIES.items()]
    families.append((f"?family={maps.ARTICLE}", gettext("the founding article's map"), choice.is_article))
    offered = [b for b in existing if b.parent_id is None]
    return {
        "map_choice": choice,
        "map_query": choice.query(),
        "map_families": families,
        "map_blocs": offered if len(offered) <= CHOICES_OFFERED else None,
        "map_typed": ",".join(choice.slugs),
        "map_most": maps.MOST_SHOWN,
    }


def country_statuses(day, layers, article=True):
    """Each country's standing on `day` in the map's layers, counted by PostgreSQL: one row per country."""
    member = Q(role=Role.MEMBER)
    suspended = Membership.suspended_q(day)
    role_words = Case(*(When(role=value, then=Value(str(label))) for value, label in Role.choices), default=F("role"))
    suspension_words = Case(
        When(
            suspended & Q(suspension_kind=SuspensionKind.SELF_DECLARED), then=Value(" " + gettext("(self-suspended)"))
        ),
        When(
            suspended & Q(suspension_kind=SuspensionKind.FORMAL), then=Value(" " + gettext("(suspended by the bloc)"))
        ),
        When(suspended & Q(suspension_kind=SuspensionKind.DE_FACTO), then=Value(" " + gettext("(inactive in fact)"))),
        When(suspended, then=Value(" " + gettext("(suspended)"))),
        default=Value(""),
    )
    line = Concat(
        role_words,
        Value(pgettext("a role of a bloc, on the map", " of ")),
        bloc_short_name(),
        suspension_words,
        output_field=CharField(),
    )
    shown = [pk for layer in layers for pk in layer.bloc_ids]
    counts = {}
    for i, layer in enumerate(layers):
        # A layer without blocs (no bloc of the family on the day) counts nothing, without asking PostgreSQL.
        in_layer = Q(bloc_id__in=layer.bloc_ids)
        counts[f"member_{i}"] = Count("pk", filter=in_layer & member) if layer.bloc_ids else Value(0)
        counts[f"other_{i}"] = Count("pk", filter=in_layer & ~member) if layer.bloc_ids else Value(0)
    rows = (
        Membership.objects.active_on(day)
        .values("country__alpha3", country_name=local_name("country__"))
        .annotate(
            **counts,
            suspended=Count("pk", filter=Q(bloc_id__in=shown) & member & suspended) if shown else Value(0),
            spells=Count("pk"),
            # The first few memberships by bloc name: enough for a tooltip, bounded however many there are.
            lines=Func(
                ArrayAgg(line, order_by="bloc__name"),
                template=f"(%(expressions)s)[1:{MAP_LINES}]",
                output_field=ArrayField(CharField()),
            ),
        )
        .order_by()
    )
    statuses = {}
    for row in rows:
        alpha3 = row["country__alpha3"]
        status = maps.CountryStatus(row["country_name"], url_for_country(alpha3))
        status.members = [layer.key for i, layer in enumerate(layers) if row[f"member_{i}"]]
        status.others = [layer.key for i, layer in enumerate(layers) if row[f"other_{i}"] and not row[f"member_{i}"]]
        status.combined = "both" if article else "several"
        status.suspended = bool(row["suspended"])
        status.lines = list(row["lines"])
        if row["spells"] > len(status.lines):
            status.lines.append(gettext("and %(more)d more") % {"more": row["spells"] - len(status.lines)})
        statuses[alpha3] = status
    return statuses


def bloc_short_name():
    """A spell's bloc as `Bloc.short_name` names it, in SQL: on Russian pages its first Cyrillic abbreviation."""
    english = Coalesce(F("bloc__abbreviations__0"), F("bloc__name"))
    if not russian_page():
        return english
    cyrillic = Func(
        F("bloc__abbreviations"),
        template="(SELECT a FROM unnest(%(expressions)s) AS a WHERE a ~ '[\u0400-\u04ff]' LIMIT 1)",
        output_field=CharField(),
    )
    return Coalesce(cyrillic, NullIf(F("bloc__name_ru"), Value("")), english)
