"""Claims: what each source says about a dated fact, ranked, with the record's stored date as the preferred one.

A dated fact is one partial date of a record: a spell's start, end, suspension start or end, a
bloc's founding or dissolution, an event's date. A fact with no claims is undisputed and rests on
the record's own sources. A fact with claims holds exactly one preferred claim, whose value the
record stores; the others are alternatives, or deprecated (refuted, with why).

Each kind of record has its own claim table (BlocClaim, MembershipClaim, and EventClaim in the
events app) rather than one generic table naming an owner kind and id: a real foreign key keeps
the database's referential integrity (a claim goes with its record, never points nowhere), the
triggers that tie the preferred claim to the stored value read the owner's columns directly, and
blocs never need to know about events. The shared columns and behaviour are in `Claim`.

The rules the database holds (docs/architecture.md):
- at most one preferred claim per fact: a partial unique index;
- the stored value equals the preferred claim, and a fact with claims has a preferred one: a
  deferred constraint trigger on both the claim table and the record's date columns, checked at
  commit, so that a curator changes the two in one transaction or not at all;
- every claim cites at least one source: a deferred constraint trigger too, since the links are
  written after the claim.
"""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from eurasia.choice_labels import display
from eurasia.history import History, record_change
from eurasia.partial_dates import FORMAT_HELP, HasPartialDates, PartialDate, Precision, precision_constraint

SLUG_HELP = "Lower-case letters, digits and hyphens; used in URLs, imports and exports."


class Reading(models.Model):
    """A published dataset or authority whose coding a claim follows: ATOP v4.01, COW IGO v3, a bloc's own record."""

    key = models.SlugField(
        max_length=60,
        unique=True,
        help_text="Short stable key, such as atop-4-01; the `reading` parameter of /data/ and the natural key. "
        + SLUG_HELP,
    )
    name = models.CharField(max_length=200, unique=True, help_text="The name analysts know it by (ATOP v4.01).")
    citation = models.TextField(blank=True, help_text="How to cite it: authors, title, version, year.")
    url = models.URLField(max_length=1000, blank=True, help_text="Where to read or download it.")

    history = History()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.key,)


class Rank(models.TextChoices):
    PREFERRED = "preferred", _("preferred")
    ALTERNATIVE = "alternative", _("alternative")
    DEPRECATED = "deprecated", _("deprecated")


class ClaimQuerySet(models.QuerySet):
    def preferred(self):
        return self.filter(rank=Rank.PREFERRED)

    def for_display(self):
        """Claims with their sources and reading, preferred first, ready for a page or a file."""
        return (
            self.select_related("reading")
            .prefetch_related("sources")
            .order_by(models.Case(*(models.When(rank=r, then=i) for i, r in enumerate(Rank.values))), "value", "id")
        )


class Claim(HasPartialDates, models.Model):
    """What one or more sources say about one dated fact of a record. Concrete tables name their owner."""

    PARTIAL_DATES = ("value",)
    OWNER = ""  # the foreign key to the record, set by each concrete table
    FIELDS: tuple[str, ...] = ()  # the record's partial dates that may carry claims
    _get_FIELD_display = display  # every get_FOO_display(): labels translated once per language

    field = models.CharField(max_length=20, help_text="Which of the record's dates the claim is about.")
    value = models.DateField(
        null=True,
        blank=True,
        help_text='The date the sources give; empty for "no such date" (it never happened: never formally '
        f"withdrew). {FORMAT_HELP}",
    )
    value_precision = models.CharField(
        max_length=5,
        choices=Precision.choices,
        default=Precision.DAY,
        help_text="How much of the date the sources give: the day, the month or only the year.",
    )
    rank = models.CharField(
        max_length=12,
        choices=Rank.choices,
        default=Rank.ALTERNATIVE,
        help_text="Preferred: the value the record uses (one per date). Alternative: another reading the "
        "sources support. Deprecated: refuted; say why in the reason.",
    )
    reason = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why this value, in one line: what the date stands for (signature, entry into force), or why it is refuted.",
    )
    # A reading in use cannot vanish from under the claims that follow it.
    reading = models.ForeignKey(
        Reading,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The dataset or authority whose coding this claim follows, if any.",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the claim was recorded.")
    updated_at = models.DateTimeField(auto_now=True, help_text="When the claim was last changed.")

    objects = ClaimQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.get_field_display()}: {self.value_text} ({self.get_rank_display()})"

    @classmethod
    def constraints_for(cls, prefix, owner):
        """The table constraints every claim table has, named after it."""
        return [
            models.UniqueConstraint(
                fields=[owner, "field"],
                condition=Q(rank=Rank.PREFERRED),
                name=f"{prefix}_one_preferred",
                violation_error_message="This date already has a preferred claim; make another one preferred instead.",
            ),
            models.UniqueConstraint(
                fields=[owner, "field", "value", "value_precision", "reading"],
                name=f"{prefix}_unique",
                nulls_distinct=False,
                violation_error_message="This date already has a claim with this value and reading.",
            ),
            precision_constraint("value", prefix),
        ]

    @property
    def owner(self):
        return getattr(self, self.OWNER)

    @property
    def owner_id(self):
        return getattr(self, f"{self.OWNER}_id")

    @property
    def partial_value(self):
        return PartialDate(self.value, self.value_precision) if self.value else None

    @property
    def value_text(self):
        return str(self.partial_value) if self.value else str(_("no such date"))

    def get_field_display(self):
        """The date's name, in the language of the page."""
        return str(dict(type(self)._meta.get_field("field").choices).get(self.field, self.field))

    def matches_record(self, record=None):
        """Whether the record stores this claim's value for its date."""
        record = record or self.owner
        return record.partial_date(self.field) == self.partial_value

    def deletion_refused(self):
        """Why this claim cannot be deleted on its own, or "" when it can."""
        if self.rank != Rank.PREFERRED:
            return ""
        others = type(self)._default_manager.filter(**{self.OWNER: self.owner_id}, field=self.field).exclude(pk=self.pk)
        if not others.exists():
            return ""
        return (
            f"The preferred claim for the {self.get_field_display()} cannot be deleted while other claims "
            "remain: make another claim preferred first."
        )

    def clean(self):
        if self.field and self.field not in self.FIELDS:
            raise ValidationError(
                {"field": gettext("Claims are about one of: %(fields)s.") % {"fields": ", ".join(self.FIELDS)}}
            )

    def make_preferred(self, user=None, reason=""):
        """Make this claim the preferred one of its fact, in one transaction, and set the record's date to it.

        The previous preferred claim becomes an alternative. The record's history gets one version,
        with `user` and `reason`; the claim's own history records the change of rank.
        """
        with transaction.atomic():
            record = type(self.owner)._default_manager.select_for_update().get(pk=self.owner_id)
            siblings = type(self)._default_manager.filter(**{self.OWNER: record}, field=self.field)
            # Demoted first: the partial unique index admits one preferred claim at any moment.
            for old in siblings.preferred().exclude(pk=self.pk):
                old.rank = Rank.ALTERNATIVE
                old._change_reason = reason
                old.save(update_fields=["rank", "updated_at"])
            self.rank = Rank.PREFERRED
            self._change_reason = reason
            self.save(update_fields=["rank", "updated_at"])
            self.set_record_date(record, user, reason)
        return record

    def with_record_date(self, record):
        """`record` with this claim's value as its date, checked as a form would (constraints aside)."""
        setattr(record, self.field, self.value)
        setattr(record, f"{self.field}_precision", self.value_precision)
        record.full_clean(validate_constraints=False)
        return record

    def set_record_date(self, record, user=None, reason=""):
        """Store this (preferred) claim's value as `record`'s date, with one version in its history."""
        self.with_record_date(record)
        record.skip_history_when_saving = True
        record.save()
        if user is not None:
            record._history_user = user
        what = f"{self.get_field_display()} set to {self.value_text} (claim made preferred)"
        record_change(record, created=False, reason=f"{what}: {reason}" if reason else what)
        return record


def fact_triggers_sql(claim_table, link_table, owner_table, owner_column, fields):
    """SQL creating the deferred triggers of one claim table (forward) and dropping them (backward).

    `fields` are the owner's date columns that carry claims; each has a `<name>_precision` column.
    The checks run at commit: inside one transaction a curator may change the record and its
    claims in any order.
    """
    check = f"{claim_table}_check_record"
    sources = f"{claim_table}_check_sources"
    facts = "\n".join(
        f"""
    IF EXISTS (SELECT 1 FROM {claim_table} c WHERE c.{owner_column} = owner AND c.field = '{name}') AND NOT EXISTS (
        SELECT 1 FROM {claim_table} c JOIN {owner_table} o ON o.id = c.{owner_column}
        WHERE c.{owner_column} = owner AND c.field = '{name}' AND c.rank = 'preferred'
          AND c.value IS NOT DISTINCT FROM o."{name}"
          AND (c.value IS NULL OR c.value_precision = o."{name}_precision")
    ) THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = '{claim_table}_record_trigger',
            MESSAGE = 'The {name.replace("_", " ")} of this record has claims, and none of them is preferred '
                'with the date the record stores: make one claim preferred with that date, or change the '
                'date and the preferred claim together.';
    END IF;"""
        for name in fields
    )
    changed = " OR ".join(
        f'OLD."{name}" IS DISTINCT FROM NEW."{name}" OR OLD."{name}_precision" IS DISTINCT FROM NEW."{name}_precision"'
        for name in fields
    )
    forward = f"""
CREATE FUNCTION {check}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    owner bigint;
BEGIN
    FOREACH owner IN ARRAY (
        CASE TG_TABLE_NAME
            WHEN '{owner_table}' THEN ARRAY[NEW.id]
            WHEN '{claim_table}' THEN ARRAY[
                CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE (to_jsonb(NEW) ->> '{owner_column}')::bigint END,
                CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE (to_jsonb(OLD) ->> '{owner_column}')::bigint END]
        END
    ) LOOP
        CONTINUE WHEN owner IS NULL;{facts}
    END LOOP;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER {claim_table}_record AFTER INSERT OR UPDATE OR DELETE ON {claim_table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {check}();
CREATE CONSTRAINT TRIGGER {claim_table}_record AFTER UPDATE ON {owner_table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {check}();

CREATE FUNCTION {sources}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    claim bigint;
BEGIN
    IF TG_TABLE_NAME = '{claim_table}' THEN
        claim := NEW.id;
    ELSE
        claim := OLD.claim_id;
    END IF;
    IF EXISTS (SELECT 1 FROM {claim_table} WHERE id = claim)
        AND NOT EXISTS (SELECT 1 FROM {link_table} WHERE claim_id = claim) THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = '{claim_table}_sources_trigger',
            MESSAGE = 'Every claim cites at least one source.';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER {claim_table}_sources AFTER INSERT OR UPDATE ON {claim_table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {sources}();
CREATE CONSTRAINT TRIGGER {claim_table}_sources AFTER DELETE OR UPDATE ON {link_table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {sources}();
"""
    backward = f"""
DROP TRIGGER {claim_table}_sources ON {link_table};
DROP TRIGGER {claim_table}_sources ON {claim_table};
DROP FUNCTION {sources}();
DROP TRIGGER {claim_table}_record ON {owner_table};
DROP TRIGGER {claim_table}_record ON {claim_table};
DROP FUNCTION {check}();
"""
    return forward, backward


class ClaimSource(models.Model):
    """A claim's link to a source it cites: it goes with the claim, but a cited source cannot be
    deleted from under it. Each kind of claim has its table, naming its `claim`."""

    source = models.ForeignKey("blocs.Source", on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True
        constraints = [models.UniqueConstraint(fields=["claim", "source"], name="%(class)s_unique")]

    def __str__(self):
        return f"claim {self.claim_id} cites {self.source_id}"


class BlocClaimSource(ClaimSource):
    claim = models.ForeignKey("blocs.BlocClaim", on_delete=models.CASCADE, related_name="+")


class MembershipClaimSource(ClaimSource):
    claim = models.ForeignKey("blocs.MembershipClaim", on_delete=models.CASCADE, related_name="+")


class BlocClaim(Claim):
    OWNER = "bloc"
    FIELDS = ("founded", "dissolved")

    # A claim is about its record and goes with it.
    bloc = models.ForeignKey("blocs.Bloc", on_delete=models.CASCADE, related_name="claims", help_text="The bloc.")
    field = models.CharField(
        max_length=20,
        choices=[("founded", _("founded")), ("dissolved", _("dissolved"))],
        help_text="Which of the bloc's dates the claim is about.",
    )
    sources = models.ManyToManyField(
        "blocs.Source",
        through=BlocClaimSource,
        related_name="+",
        help_text="The sources that give this value; at least one.",
    )

    history = History(m2m_fields=[sources])

    class Meta:
        ordering = ["bloc", "field", "id"]
        constraints = Claim.constraints_for("blocclaim", "bloc")


class MembershipClaim(Claim):
    OWNER = "membership"
    FIELDS = ("start", "end", "suspension_start", "suspension_end")

    membership = models.ForeignKey(
        "blocs.Membership", on_delete=models.CASCADE, related_name="claims", help_text="The spell."
    )
    field = models.CharField(
        max_length=20,
        choices=[
            ("start", _("start")),
            ("end", _("end")),
            ("suspension_start", _("suspension start")),
            ("suspension_end", _("suspension end")),
        ],
        help_text="Which of the spell's dates the claim is about.",
    )
    sources = models.ManyToManyField(
        "blocs.Source",
        through=MembershipClaimSource,
        related_name="+",
        help_text="The sources that give this value; at least one.",
    )

    history = History(m2m_fields=[sources])

    class Meta:
        ordering = ["membership", "field", "id"]
        constraints = Claim.constraints_for("membershipclaim", "membership")
