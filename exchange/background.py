"""`load_records` as a background job: the same load, all or nothing, with its progress on the Jobs list."""

import json

from django_tasks import task

from jobs.models import JobFailed, Outcome, run

from .records import Conflicts, ExistingRecordsDiffer, LoadError, load


def nothing_stored(error):
    """Why a load stored nothing, and what to do about it, as the command and the job both say it."""
    if isinstance(error, Conflicts):
        fields = sum(len(change.conflicts) for change in error.changes)
        return (
            f"Nothing was stored: {fields} field(s) of existing records were changed since they were last "
            "loaded from a file, and the file has other values (CONFLICT below):\n"
            + "\n".join(error.problems)
            + "\nTo keep those changes, bring them into the file or leave the records out of it; "
            "to replace them with the file's values, run again with --update --accept-file-values."
        )
    if isinstance(error, ExistingRecordsDiffer):
        return (
            f"Nothing was stored: the file would change {len(error.changes)} existing record(s):\n"
            + "\n".join(error.problems)
            + "\nTo apply these changes, run again with --update; to add only the records the database "
            "lacks and leave these as they are, with --add-only."
        )
    return f"Nothing was stored; {len(error.problems)} problem(s):\n" + "\n".join(error.problems)


def count_lines(counts):
    """What a load did, one line per kind of record."""
    lines = []
    for kind, outcome in counts.items():
        kept = f", {outcome['kept']} left as they are" if outcome["kept"] else ""
        lines.append(
            f"{kind}: {outcome['created']} created, {outcome['changed']} changed, {outcome['unchanged']} unchanged{kept}"
        )
    return lines


def change_lines(changes):
    """The changes to existing records, as they are shown before they are committed."""
    replaced = sum(len(change.conflicts) for change in changes)
    note = f", {replaced} of them replacing values changed since their last load" if replaced else ""
    lines = [f"Changing {len(changes)} existing record(s){note}:"]
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
        raise JobFailed(f"Nothing was stored: {job.file_name} is not a valid JSON file: {e}") from None
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
