"""Background jobs: what was asked, by whom, how far it got and how it ended.

The queue itself is django-tasks' database backend (one task per job, taken by one worker with
SELECT ... FOR UPDATE SKIP LOCKED); a Job is what the curator sees of it. A job's work and its
final state are written in one transaction, so a job shown as done has stored everything and a
job shown as cancelled or failed has stored nothing.
"""

import datetime
import logging

from django.conf import settings
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .progress import Cancelled, Reporter

logger = logging.getLogger(__name__)


class JobFailed(Exception):
    """The job cannot be done; the text says why, in words for the curator."""


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A job is seen by its owner and by superusers only."""
        return self if user.is_superuser else self.filter(owner=user)

    def mark_stalled(self):
        """Running jobs whose worker has been silent past the timeout are failed, with the reason.

        Their transaction died with the worker's connection, so nothing of them was stored; a
        worker that was only slow finds the job failed when it finishes, and rolls its work back.
        """
        timeout = settings.JOB_TIMEOUT_SECONDS
        return self.filter(
            state=Job.State.RUNNING, heartbeat_at__lt=timezone.now() - datetime.timedelta(seconds=timeout)
        ).update(
            state=Job.State.FAILED,
            finished_at=timezone.now(),
            message=gettext(
                "The worker running this job stopped answering (no sign of life for %(seconds)s seconds): it "
                "was stopped or its machine was lost. Nothing was stored; you can run the job again."
            )
            % {"seconds": f"{timeout:g}"},
        )

    def expired(self):
        return self.filter(created_at__lt=timezone.now() - Job.MAX_AGE)


class Job(models.Model):
    """One piece of long work asked for by a curator (or a command), and how far it got."""

    MAX_AGE = datetime.timedelta(days=1)  # finished jobs and their files are removed after a day

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting for a worker")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    FINISHED = (State.DONE, State.FAILED, State.CANCELLED)

    title = models.CharField(
        max_length=200, help_text=_("What the job does, as the Jobs list shows it."), verbose_name=_("title")
    )
    task = models.CharField(
        max_length=200,
        help_text=_("The task that runs the job (a Python path), to run it again."),
        verbose_name=_("task"),
    )
    params = models.JSONField(
        default=dict, blank=True, help_text=_("What the task needs to know to do the job."), verbose_name=_("params")
    )
    # A job is of no use without the curator who asked for it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="jobs",
        help_text=_("Who asked for the job; only they and superusers see it. Empty for a command's job."),
        verbose_name=_("owner"),
    )
    file_name = models.CharField(
        max_length=255, blank=True, help_text=_("The file the job reads or writes."), verbose_name=_("file name")
    )
    file_data = models.BinaryField(
        null=True,
        blank=True,
        help_text=_("The file the job reads, kept until it is done (to run a failed job again)."),
        verbose_name=_("file data"),
    )
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.QUEUED, help_text=_("Where it is."), verbose_name=_("state")
    )
    stage = models.CharField(max_length=100, blank=True, help_text=_("The step it is on."), verbose_name=_("stage"))
    done = models.BigIntegerField(
        default=0, help_text=_("Rows (or records) done in this step."), verbose_name=_("done")
    )
    total = models.BigIntegerField(
        default=0, help_text=_("Rows (or records) this step has; 0 when not yet known."), verbose_name=_("total")
    )
    cancel_requested = models.BooleanField(
        default=False, help_text=_("Its owner asked for it to stop."), verbose_name=_("cancel requested")
    )
    message = models.TextField(
        blank=True, help_text=_("How it ended: its result, or why it failed."), verbose_name=_("message")
    )
    result_url = models.CharField(
        max_length=500, blank=True, help_text=_("Where its result is: a preview, a list."), verbose_name=_("result url")
    )
    output = models.BinaryField(
        null=True, blank=True, help_text=_("What it made: a preview, or a file to download."), verbose_name=_("output")
    )
    output_type = models.CharField(
        max_length=100, blank=True, help_text=_("The content type of a file it made."), verbose_name=_("output type")
    )
    created_at = models.DateTimeField(
        auto_now_add=True, help_text=_("When it was asked for."), verbose_name=_("created at")
    )
    started_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When a worker took it."), verbose_name=_("started at")
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text=_("The worker's last sign of life."), verbose_name=_("heartbeat at")
    )
    finished_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When it ended."), verbose_name=_("finished at")
    )

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"]), models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("admin:jobs_job_page", args=[self.pk])

    @property
    def finished(self):
        return self.state in self.FINISHED

    def elapsed(self):
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    def remaining(self):
        """An estimate of the time left in this step, from its pace so far; None until it can be told."""
        elapsed = self.elapsed()
        if self.state != self.State.RUNNING or not elapsed or not self.total or self.done <= 0:
            return None
        return elapsed * (self.total - self.done) / self.done

    def percent(self):
        if self.state == self.State.DONE:
            return 100
        return min(100, int(100 * self.done / self.total)) if self.total else 0

    def status(self):
        """What the job page shows, as the JSON status endpoint gives it."""

        def seconds(delta):
            return None if delta is None else round(delta.total_seconds())

        elapsed, remaining = seconds(self.elapsed()), seconds(self.remaining())
        counts = (
            gettext("%(done)s of %(total)s rows") % {"done": f"{self.done:,}", "total": f"{self.total:,}"}
            if self.total
            else gettext("%(done)s rows") % {"done": f"{self.done:,}"}
        )
        if elapsed is not None:
            counts += gettext(", %(time)s elapsed") % {"time": duration(elapsed)}
        if remaining is not None:
            counts += gettext(", about %(time)s left") % {"time": duration(remaining)}
        return {
            "id": self.pk,
            "title": self.title,
            "state": self.state,
            "state_label": self.get_state_display(),
            "stage": self.stage,
            "done": self.done,
            "total": self.total,
            "percent": self.percent(),
            "elapsed_seconds": elapsed,
            "remaining_seconds": remaining,
            "counts": counts + ".",
            "finished": self.finished,
            "message": self.message,
            "result_url": self.result_url if self.state == self.State.DONE else "",
        }

    @classmethod
    def start(cls, task, title, owner=None, params=None, file_name="", file_data=None):
        """A new job, queued for a worker in the caller's transaction: both are stored, or neither.

        A job asked for on a page in another language than the default remembers it, so that its
        worker writes its stages and messages in the curator's language (docs/translation.md).
        """
        params = dict(params or {})
        language = translation.get_language()
        if language and language != settings.LANGUAGE_CODE and "language" not in params:
            params["language"] = language
        job = cls.objects.create(
            title=str(title)[:200],
            task=f"{task.module_path}",
            params=params,
            owner=owner,
            file_name=file_name[:255],
            file_data=file_data,
        )
        task.enqueue(job.pk)
        return job

    def again(self):
        """The same job, queued anew (after it failed or was cancelled)."""
        file_data = Job.objects.filter(pk=self.pk).values_list("file_data", flat=True).first()
        return Job.start(import_string(self.task), self.title, self.owner, self.params, self.file_name, file_data)

    def read_file(self):
        """The file the job was given to read."""
        data = Job.objects.filter(pk=self.pk).values_list("file_data", flat=True).first()
        if data is None:
            raise JobFailed(gettext("The job has no file to read: it was removed. Start the job again with its file."))
        return bytes(data)

    def cancel(self):
        """Stop the job: at once if no worker has it yet, at the worker's next progress report otherwise."""
        now = timezone.now()
        Job.objects.filter(pk=self.pk, state=self.State.QUEUED).update(
            state=self.State.CANCELLED,
            finished_at=now,
            cancel_requested=True,
            message=gettext("Cancelled before it started; nothing was stored."),
        )
        Job.objects.filter(pk=self.pk, state=self.State.RUNNING).update(cancel_requested=True)


def duration(seconds):
    """3 s, 2 min 5 s, 1 h 4 min: a duration as the job page shows it."""
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return gettext("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": seconds}
    return gettext("%(seconds)d s") % {"seconds": seconds}


class Outcome:
    """What a job's work gives back: the message, where to see the result, and any output it made."""

    def __init__(self, message, result_url="", output=None, output_type="", tell=False):
        self.message, self.result_url, self.output, self.output_type = message, result_url, output, output_type
        # Whether the result page shows the message once to the job's owner (an import's "Imported ...").
        self.tell = tell


def run(job_id, work):
    """Run `work(job, progress)` for the queued job `job_id`, once, all or nothing.

    The job is taken only if it is still queued (a second worker, or a second task for the same
    job, finds it taken and does nothing). The work and the job's final state are committed
    together; a cancellation, an error or a stalled worker rolls all of the work back.
    """
    now = timezone.now()
    if not Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, started_at=now, heartbeat_at=now
    ):
        return
    job = Job.objects.get(pk=job_id)
    with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        work_on(job, work)


def work_on(job, work):
    """Run the taken job's work, in the language it was asked for in, and store how it ended."""
    job_id = job.pk
    reporter = Reporter(job)
    try:
        with transaction.atomic():
            # The work must not write the job's own row: its lock would be held until the end, and
            # the reporter's writes on their own connection would wait on it. What the work has to
            # say about the job comes back in its Outcome and is written here, with the end.
            outcome = work(job, reporter)
            reporter.stop()
            params = {**job.params, "tell": True} if outcome.tell else job.params
            ended = Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(
                params=params,
                state=Job.State.DONE,
                finished_at=timezone.now(),
                stage=reporter.name[:100],
                done=reporter.done,
                total=reporter.total,
                message=outcome.message,
                result_url=outcome.result_url,
                output=outcome.output,
                output_type=outcome.output_type,
                file_data=None,  # read and done with
            )
            if not ended:  # marked failed while it ran: what it did must not be stored
                raise JobFailed(gettext("The job was given up as stalled before it finished; nothing was stored."))
    except Cancelled:
        finish(job_id, Job.State.CANCELLED, gettext("Cancelled while it ran; nothing was stored."))
    except JobFailed as e:
        finish(job_id, Job.State.FAILED, f"{e}")
    except Exception as e:
        logger.exception("Job %s failed", job_id)
        finish(
            job_id,
            Job.State.FAILED,
            gettext(
                "The job failed with an unexpected error (%(kind)s); nothing was stored. The error is in the worker's log."
            )
            % {"kind": type(e).__name__},
        )
    finally:
        reporter.stop()


def finish(job_id, state, message):
    Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(
        state=state, finished_at=timezone.now(), message=message
    )


def run_queued_here(worker_id="inline"):
    """Run every queued task in this process and this transaction, as `manage.py db_worker --batch` does.

    For the tests and the benchmark, which keep their work inside one transaction: the command
    itself closes connections between tasks, which would end it.
    """
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    while (task := DBTaskResult.objects.ready().select_for_update(skip_locked=True).first()) is not None:
        task.claim(worker.worker_id)
        worker.run_task(task)
