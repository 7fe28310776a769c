"""`load_records` as a background job: the same load, all or nothing, with its progress on the Jobs list."""

import json

from django.utils.translation import gettext, ngettext
from django_tasks import task

from jobs.models import JobFailed, Outcome, run

from .records import Conflicts, ExistingRecordsDiffer, LoadError, load


def nothing_stored(error):
    """Why a load stored nothing, and what to do about it, as the command and the job both say it."""
    if isinstance(error, Conflicts):
        fields = sum(len(change.conflicts) for change in error.changes)
        return (
            ngettext(
                "Nothing was stored: %(count)s field(s) of existing records were changed since they were last "
                "loaded from a file, and the file has other values (CONFLICT below):",
                "Nothing was stored: %(count)s field(s) of existing records were changed since they were last "
                "loaded from a file, and the file has other values (CONFLICT below):",
                fields,
            )
            % {"count": fields}
            + "\n"
            + "\n".join(error.problems)
            + "\n"
            + gettext(
                "To keep those changes, bring them into the file or leave the records out of it; "
                "to replace them with the file's values, run again with --update --accept-file-values."
            )
        )
    if isinstance(error, ExistingRecordsDiffer):
        changed = len(error.changes)
        return (
            ngettext(
                "Nothing was stored: the file would change %(count)s existing record(s):",
                "Nothing was stored: the file would change %(count)s existing record(s):",
                changed,
            )
            % {"count": changed}
            + "\n"
            + "\n".join(error.problems)
            + "\n"
            + gettext(
                "To apply these changes, run again with --update; to add only the records the database "
                "lacks and leave these as they are, with --add-only."
            )
        )
    count = len(error.problems)
    return (
        ngettext("Nothing was stored; %(count)s problem(s):", "Nothing was stored; %(count)s problem(s):", count)
        % {"count": count}
        + "\n"
        + "\n".join(error.problems)
    )


def count_lines(counts):
    """What a load did, one line per kind of record."""
    lines = []
    for kind, outcome in counts.items():
        kept = gettext(", %(count)s left as they are") % {"count": outcome["kept"]} if outcome["kept"] else ""
        lines.append(
            gettext("%(kind)s: %(created)s created, %(changed)s changed, %(unchanged)s unchanged")
            % {"kind": kind, **outcome}
            + kept
        )
    return lines


def change_lines(changes):
    """The changes to existing records, as they are shown before they are committed."""
    replaced = sum(len(change.conflicts) for change in changes)
    note = (
        gettext(", %(count)s of them replacing values changed since their last load") % {"count": replaced}
        if replaced
        else ""
    )
    lines = [
        ngettext(
            "Changing %(count)s existing record(s)%(note)s:",
            "Changing %(count)s existing record(s)%(note)s:",
            len(changes),
        )
        % {"count": len(changes), "note": note}
    ]
    for change in changes:
        lines.extend(change.lines(accepted=True))
    return lines


@task()
def load_records(job_id):
    run(job_id, load_file)


def load_file(job, progress):
    """The file the command was given, loaded in the job's transaction by the same loader."""
    try:
        data = json.loads(job.read_file().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise JobFailed(
            gettext("Nothing was stored: %(file)s is not a valid JSON file: %(error)s")
            % {"file": job.file_name, "error": e}
        ) from None
    shown = []
    params = job.params
    try:
        counts = load(
            data,
            reason=params["reason"],
            user=job.owner,
            loaded_from=params["loaded_from"],
            existing=params["existing"],
            accept_file_values=params["accept_file_values"],
            show=lambda changes: shown.extend(change_lines(changes)),
            progress=progress,
        )
    except LoadError as e:
        raise JobFailed(nothing_stored(e)) from None
    return Outcome("\n".join([*shown, *count_lines(counts)]))
