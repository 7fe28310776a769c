"""A curator's decision on a suggestion: accepting a date makes a claim with its source in one step; both are kept in the history.

Accepting a proposed date adds it to the dated fact as a claim (blocs/claims.py) citing the
suggestion's link as a source: an existing source with that address, or a new one. A fact that had
no claims first gets its stored date as the preferred claim, citing the record's own sources, so
that the record still says what it said. Accepted as preferred, the new claim then becomes the
record's date through `make_preferred`, whose rules (date order, no overlapping spells) apply. All
of it is one transaction, with PostgreSQL's deferred checks run before it ends: a refusal leaves
the record, the claims, the sources and the suggestion as they were, and says why.
"""

import hashlib
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from blocs.models import Rank, Source
from eurasia.constraints import check_deferred, constraint_message
from eurasia.history import record_change

from .models import Kind, Status, Suggestion, claim_model, fact_label

# Which of the suggestion's columns keeps the claim accepting it made.
CLAIM_COLUMNS = {Kind.BLOC: "bloc_claim", Kind.EVENT: "event_claim", Kind.SPELL: "membership_claim"}
SOURCE_KIND = "reader's suggestion"


def source_for(url, title, user, suggestion):
    """The source with this address, or a new one made from it."""
    found = Source.objects.filter(url=url).order_by("pk").first()
    if found:
        return found
    parts = urlsplit(url)
    digest = hashlib.sha256(url.encode()).hexdigest()[:10]
    key = f"{slugify(parts.hostname or 'link')[:60].strip('-') or 'link'}-{digest}"
    source = Source(
        key=key,
        title=(title or f"{parts.hostname}{parts.path}")[:300],
        url=url,
        kind=SOURCE_KIND,
        notes=f"From readers' suggestion {suggestion.pk}.",
    )
    source._history_user = user
    source._change_reason = f"Source of readers' suggestion {suggestion.pk}"
    source.save()
    return source


def _save_claim(claim, user, reason, created):
    """Save a claim and its sources as one version in its history, with the curator and the reason."""
    claim._history_user = user
    record_change(claim, created=created, reason=reason)


def add_claim(record, kind, field, value, source, user, reason):
    """The claim `value` on `record`'s date `field`, citing `source`: a new alternative, or the
    existing claim with that value (and no reading), which then cites it too."""
    model = claim_model(kind)
    owner = {model.OWNER: record}
    claims = model.objects.filter(**owner, field=field)
    stored = record.partial_date(field)
    if not claims.exists():
        cited = list(record.sources.all())
        if value == stored:
            cited.append(source)  # the suggestion confirms the record's date
        if not cited:
            raise ValidationError(
                gettext(
                    "The %(date)s of this record cites no source, so it cannot be kept as a claim beside the "
                    "suggested one: add the record's source first, or accept the suggestion as preferred."
                )
                % {"date": fact_label(kind, field)}
            )
        kept = model(
            **owner,
            field=field,
            value=stored.date if stored else None,
            value_precision=stored.precision if stored else "day",
            rank=Rank.PREFERRED,
            reason=gettext("The record's date when a reader's correction was accepted.")[:300],
        )
        kept.skip_history_when_saving = True
        kept.save()
        kept.sources.set(cited)
        _save_claim(kept, user, reason, created=True)
    claim = claims.filter(value=value.date, value_precision=value.precision, reading__isnull=True).first()
    if claim is None:
        claim = model(**owner, field=field, value=value.date, value_precision=value.precision, rank=Rank.ALTERNATIVE)
        claim.reason = reason[:300]
        claim.skip_history_when_saving = True
        claim.save()
        claim.sources.add(source)
        _save_claim(claim, user, reason, created=True)
    elif not claim.sources.filter(pk=source.pk).exists():
        claim.skip_history_when_saving = True
        claim.sources.add(source)
        _save_claim(claim, user, reason, created=False)
    return claim


def _decide(suggestion, status, user, reason):
    suggestion.status = status
    suggestion.reviewed_by = user
    suggestion.reviewed_at = timezone.now()
    suggestion.review_reason = reason
    suggestion._history_user = user
    suggestion._change_reason = f"{status}: {reason}"
    suggestion.save()


def _locked_pending(suggestion):
    locked = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if locked.status != Status.PENDING:
        raise ValidationError(
            gettext("This suggestion was already %(status)s.") % {"status": locked.get_status_display()}
        )
    return locked


def accept(suggestion, user, reason, *, preferred=False, source_title=""):
    """Accept a suggestion; for a proposed date, add it as a claim (preferred: the record's date).

    Returns the claim made, or None for a suggestion without a date. Raises ValidationError with
    the reason when the record's rules refuse it; then nothing is stored.
    """
    try:
        with transaction.atomic():
            locked = _locked_pending(suggestion)
            claim = None
            if locked.field and locked.proposed:
                record = type(locked.record)._default_manager.select_for_update().get(pk=locked.record.pk)
                source = source_for(locked.source_url, source_title, user, locked)
                claim = add_claim(record, locked.kind, locked.field, locked.proposed, source, user, reason)
                if preferred and claim.rank != Rank.PREFERRED:
                    claim.make_preferred(user, reason)
                locked.source = source
                setattr(locked, CLAIM_COLUMNS[locked.kind], claim)
            _decide(locked, Status.ACCEPTED, user, reason)
            check_deferred()
    except (IntegrityError, DataError) as error:
        raise ValidationError(constraint_message(error)) from None
    suggestion.refresh_from_db()
    return claim


def decline(suggestion, user, reason):
    """Decline a suggestion, with the reason; the record stays as it is."""
    with transaction.atomic():
        _decide(_locked_pending(suggestion), Status.DECLINED, user, reason)
    suggestion.refresh_from_db()
