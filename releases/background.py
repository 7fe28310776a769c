"""Publishing from the admin, as a background job: the same publish, its progress on the Jobs list."""

from django.contrib.auth import get_user_model
from django_tasks import task

from jobs.models import JobFailed, Outcome, run

from .publishing import PublishError, publish


@task()
def publish_release(job_id):
    run(job_id, publish_in_job)


def publish_in_job(job, progress):
    params = job.params
    user = get_user_model().objects.filter(pk=job.owner_id).first() if job.owner_id else None
    try:
        release = publish(params["version"], params.get("notes", ""), user, progress)
    except PublishError as e:
        raise JobFailed(f"Nothing was published: {e}") from None
    return Outcome(
        f"Published release {release.version}: {release.files.count()} files, "
        f"{release.total_changes} change(s) against {release.previous or 'no previous release'}.",
        result_url=release.get_absolute_url(),
    )
