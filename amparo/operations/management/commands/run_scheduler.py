"""The scheduler of the periodic work (amparo/operations/schedule.py): enqueue each job's due slot as a task for the
worker (`manage.py db_worker`).

    manage.py run_scheduler               # long-running: look every --interval seconds (default 30)
    manage.py run_scheduler --once        # enqueue what is due now and exit (from cron or a systemd timer)

Safe to run twice, or next to cron lines: each (job, slot) is enqueued once (a unique constraint). Keep one running
(systemd service, container) next to one or more `db_worker`s.
"""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from amparo.operations.scheduler import due_runs_enqueue


class Command(BaseCommand):
    help = "Enqueue the scheduled jobs that are due as background tasks (every --interval seconds, or --once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue what is due now and exit")
        parser.add_argument("--interval", type=int, default=30, help="seconds between looks (default 30; 1 to 3600)")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"]
        self.verbosity = options["verbosity"]
        if not 1 <= interval <= 3600:
            raise CommandError("--interval must be between 1 and 3600 seconds.")
        if options["once"]:
            self._tick()
            return
        self.running = True

        def stop(signum: int, frame: FrameType | None) -> None:
            self.running = False

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"Scheduler started: looking every {interval} s.")
        while self.running:
            close_old_connections()  # the database may have restarted since the last look
            try:
                self._tick()
            except Exception as exc:  # the database is away: say so, look again at the next interval
                self.stderr.write(f"Could not enqueue due runs ({type(exc).__name__}); trying again.")
            close_old_connections()
            for _ in range(interval):
                if not self.running:
                    break
                time.sleep(1)
        self.stdout.write("Scheduler stopped.")

    def _tick(self) -> None:
        enqueued = [e for e in due_runs_enqueue() if e.created]
        for e in enqueued:
            self.stdout.write(f"Enqueued {e.job} for {e.slot:%Y-%m-%d %H:%M %Z}.")
        if not enqueued and self.verbosity >= 2:
            self.stdout.write("Nothing due.")
