"""The reader's form and the curator's decision: every field bounded, links web addresses only, text kept as text."""

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from eurasia.partial_dates import FORMAT_HELP, PartialDateFormMixin

from .models import EMAIL_LENGTH, REASON_LENGTH, TEXT_LENGTH, URL_LENGTH, WHAT_LENGTH, Suggestion

# A field no person sees (hidden by the style sheet, skipped by keyboards and screen readers): a
# program that fills in every box fills it in, and its suggestion is refused.
HONEYPOT = "website"


class SuggestionForm(PartialDateFormMixin, forms.ModelForm):
    """What a reader sends: what is wrong, and for a dated fact the date they propose, with its source."""

    source_url = forms.URLField(
        label=_("Source link"),
        required=False,
        max_length=URL_LENGTH,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Where you read it: a web address beginning with http:// or https://."),
        widget=forms.URLInput(attrs={"placeholder": "https://", "maxlength": URL_LENGTH}),
    )
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = Suggestion
        fields = ["what", "proposed_date", "proposed_text", "source_url", "email"]
        labels = {
            "what": _("What is wrong"),
            "proposed_text": _("What it should say"),
            "email": _("Your e-mail address (optional)"),
        }
        widgets = {
            "what": forms.Textarea(attrs={"rows": 5, "maxlength": WHAT_LENGTH}),
            "proposed_text": forms.Textarea(attrs={"rows": 3, "maxlength": TEXT_LENGTH}),
            "email": forms.EmailInput(attrs={"maxlength": EMAIL_LENGTH, "autocomplete": "email"}),
        }

    def __init__(self, *args, dated=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.dated = dated
        if dated:
            self.fields["proposed_date"].label = gettext("The date you propose")
            self.fields["proposed_date"].help_text = gettext(FORMAT_HELP)
        else:
            del self.fields["proposed_date"]
        helps = {
            "what": gettext("Say what is wrong in a few sentences; plain text, at most %(most)d characters.")
            % {"most": WHAT_LENGTH},
            "proposed_text": gettext("Plain text, at most %(most)d characters.") % {"most": TEXT_LENGTH},
            "email": gettext(
                "Only if a curator may write to you about it. It is never shown on the site, and nothing is sent to it."
            ),
        }
        for name, text in helps.items():
            self.fields[name].help_text = text

    def clean(self):
        cleaned = super().clean()
        if cleaned.get(HONEYPOT):
            self.add_error(
                None,
                gettext(
                    "The box labelled “Leave this empty” was filled in (browsers that fill in forms by "
                    "themselves sometimes do this): empty it and send the suggestion again."
                ),
            )
        if self.dated and not self.errors:
            if not cleaned.get("proposed_date") and not cleaned.get("proposed_text"):
                self.add_error("proposed_date", _("Give the date you propose, or say in words what it should be."))
            elif cleaned.get("proposed_date") and not cleaned.get("source_url"):
                self.add_error("source_url", _("A proposed date needs the link to the source that gives it."))
        return cleaned


class Decision:
    ACCEPT = "accept"
    PREFERRED = "preferred"
    DECLINE = "decline"


class ReviewForm(forms.Form):
    """A curator's decision on one suggestion, with the reason kept in the history."""

    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_LENGTH,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text=_("Why you accept or decline it; kept in the suggestion's history, and the claim's."),
    )
    source_title = forms.CharField(
        label=_("Title of the new source"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text=_("When the link is not yet a source: the title it is recorded under (its address if empty)."),
    )

    def __init__(self, *args, suggestion, **kwargs):
        super().__init__(*args, **kwargs)
        if suggestion.field and suggestion.proposed:
            choices = [
                (Decision.ACCEPT, _("Accept: add the date as an alternative claim, with its source")),
                (Decision.PREFERRED, _("Accept as preferred: the record takes the date, with its source")),
            ]
        else:
            choices = [(Decision.ACCEPT, _("Accept (edit the record yourself where needed)"))]
            del self.fields["source_title"]
        self.fields["decision"].choices = [*choices, (Decision.DECLINE, _("Decline"))]
