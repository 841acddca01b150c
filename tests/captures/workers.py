"""The database backend's own worker, run in a thread of the test process."""

import threading
import time

from django_tasks_db.management.commands.db_worker import Worker


class WorkerThread:
    def __init__(self):
        self.worker = Worker(
            queue_names=["default"],
            interval=0.05,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-thread",
            excluded_queue_names=[],
        )
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        from django.db import OperationalError, connection

        try:
            while self.worker.running:
                try:
                    self.worker.run()
                except OperationalError:
                    # SQLite's shared in-memory test database locks a table while the live
                    # server writes to it, and the worker's BEGIN EXCLUSIVE then fails at
                    # once instead of waiting (a file database waits): poll again, as the
                    # worker itself does for a locked queue.
                    connection.close()
                    time.sleep(self.worker.interval)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.worker.running = False
        self.thread.join(timeout=30)
