"""Progress of long work, told to whoever follows it: a job page through the database, or a terminal.

The work calls `stage(name, total)` when it starts a step and `advance(n)` as rows are done; the
same calls drive a job's progress bar in the admin (Reporter), a progress bar on a terminal or
plain periodic lines in a log (CommandProgress), or nothing (Silent).
"""

import logging
import sys
import threading
import time

from django.conf import settings
from django.db import OperationalError, connections
from django.utils import timezone

logger = logging.getLogger(__name__)


class Cancelled(Exception):
    """The job's owner asked for it to stop."""


class Silent:
    """Progress that nobody follows."""

    done = 0

    def stage(self, name, total=0):
        self.done = 0

    def advance(self, n=1):
        self.done += n

    def stop(self):
        pass


class Reporter(Silent):
    """A running job's progress, written on a connection of its own so that it is seen at once.

    The job's work runs in one transaction that nobody else sees until it commits; its progress
    must be seen while it runs, so it goes through a second connection in autocommit. A thread
    writes a sign of life every JOB_HEARTBEAT_SECONDS (whatever the work is doing) and reads back
    whether the owner asked to cancel; the work stops at its next `advance`.
    """

    every = 0.25  # seconds between progress writes
    # A write that waits this long for the job's row is skipped: the next one tells the same. Nothing
    # should hold the row while the job runs (jobs.models.run); this keeps a mistake from hanging it.
    lock_timeout_ms = 5000

    def __init__(self, job):
        self.job_id, self.meta = job.pk, job._meta  # the job's table, read from the job given
        self.connection = connections.create_connection("default")
        self.connection.inc_thread_sharing()
        with self.connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(self.lock_timeout_ms)}")
        self.lock = threading.Lock()
        self.name, self.done, self.total = "", 0, 0
        self.written = 0.0
        self.cancelled = False
        self.stopped = threading.Event()
        self.beat = threading.Thread(target=self.heartbeat, name=f"job-{job.pk}-heartbeat", daemon=True)
        self.beat.start()

    def write(self):
        with self.lock:
            if self.connection is None:
                return
            quote, meta = self.connection.ops.quote_name, self.meta
            columns = [quote(meta.get_field(name).column) for name in ("stage", "done", "total", "heartbeat_at")]
            try:
                with self.connection.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{c} = %s' for c in columns)} "
                        f"WHERE {quote(meta.pk.column)} = %s "
                        f"RETURNING {quote(meta.get_field('cancel_requested').column)}",
                        [self.name[:100], self.done, self.total, timezone.now(), self.job_id],
                    )
                    row = cursor.fetchone()
            except OperationalError:
                logger.warning("Job %s: its progress could not be written (its row was locked)", self.job_id)
                return
            self.cancelled = self.cancelled or bool(row and row[0])
            self.written = time.monotonic()

    def heartbeat(self):
        while not self.stopped.wait(settings.JOB_HEARTBEAT_SECONDS):
            self.write()

    def stage(self, name, total=0):
        self.name, self.done, self.total = name, 0, total
        self.write()
        self.check()

    def advance(self, n=1):
        self.done += n
        if time.monotonic() - self.written >= self.every:
            self.write()
        self.check()

    def check(self):
        if self.cancelled:
            raise Cancelled

    def stop(self):
        self.stopped.set()
        if self.beat.is_alive() and self.beat is not threading.current_thread():
            self.beat.join()
        with self.lock:
            if self.connection is not None:
                self.connection.close()
                self.connection = None


class CommandProgress(Silent):
    """A management command's progress: a bar on a terminal, a line every few seconds in a log.

    Both show the same counts: the step, rows done of its total, and the time it has taken.
    """

    every = 5.0  # seconds between lines when not on a terminal

    def __init__(self, stream=None, terminal=None):
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.bar = None
        self.name, self.done, self.total = "", 0, 0

    def stage(self, name, total=0):
        self.end_stage()
        self.name, self.done, self.total = name, 0, total
        self.started = self.written = time.monotonic()
        if self.terminal:
            from tqdm import tqdm

            self.bar = tqdm(total=total or None, desc=name, unit=" rows", file=self.stream, dynamic_ncols=True)
        else:
            self.line()

    def advance(self, n=1):
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif time.monotonic() - self.written >= self.every:
            self.line()

    def line(self):
        of = f" of {self.total:,}" if self.total else ""
        self.stream.write(f"{self.name}: {self.done:,}{of} rows, {time.monotonic() - self.started:.0f} s\n")
        self.stream.flush()
        self.written = time.monotonic()

    def end_stage(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.name:
            self.line()

    def stop(self):
        self.end_stage()
        self.name = ""
