"""The synthetic world as a background job, for workers of a development or benchmark installation."""

from django_tasks import task

from jobs.models import JobFailed, Outcome, run

from . import synthetic


def not_empty_text():
    return (
        "The database already holds curated records; a synthetic world is loaded only into an empty one. "
        f"--flush would delete {synthetic.what_flush_deletes()}. "
        "Use --flush to delete them first, or point DATABASE_URL at another database."
    )


@task()
def make_world(job_id):
    run(job_id, make)


def make(job, progress):
    """The world, and with --flush the deletion before it, in the job's one transaction."""
    size = synthetic.SCALES[job.params["scale"]]
    if job.params["flush"]:
        progress.stage("Deleting every curated record and its history")
        synthetic.flush()
    steps = []
    try:
        counts = synthetic.load(size, job.params["seed"], report=steps.append, progress=progress)
    except synthetic.NotEmpty:
        raise JobFailed(f"Nothing was stored. {not_empty_text()}") from None
    return Outcome(f"Loaded {sum(counts.values()):,} rows: " + "; ".join(steps) + ".")
