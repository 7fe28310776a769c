"""Publishing from the admin, as a background job: the same publish, its progress on the Jobs list."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext, ngettext
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
        raise JobFailed(gettext("Nothing was published: %(reason)s") % {"reason": e}) from None
    changes = release.total_changes
    return Outcome(
        ngettext(
            "Published release %(version)s: %(files)s files, %(changes)s change(s) against %(previous)s.",
            "Published release %(version)s: %(files)s files, %(changes)s change(s) against %(previous)s.",
            changes,
        )
        % {
            "version": release.version,
            "files": release.files.count(),
            "changes": changes,
            "previous": release.previous or gettext("no previous release"),
        },
        result_url=release.get_absolute_url(),
    )
