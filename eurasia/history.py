"""Change history for every curated model, with one record per change even for batch writers."""

from simple_history.models import HistoricalRecords


class History(HistoricalRecords):
    """HistoricalRecords that the model can reach, so a batch writer can record a change once.

    Saving a record and then setting three many-to-many fields would otherwise write four history
    rows; writers that set `skip_history_when_saving` call `record_change()` when they are done.
    """

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            sender._history_records = self


def record_change(obj, created, reason=""):
    """Write one history row for `obj` as it now stands, fields and links included."""
    if hasattr(obj, "skip_history_when_saving"):
        del obj.skip_history_when_saving
    if reason:
        obj._change_reason = reason
    type(obj)._history_records.create_historical_record(obj, "+" if created else "~")
