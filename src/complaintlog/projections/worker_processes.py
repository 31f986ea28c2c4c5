"""N projection workers on one machine, one partition of the complaints each.

``complaintlog project --follow --workers N`` runs :func:`follow_in_processes`: it spawns N
processes, each a :class:`~complaintlog.projections.worker.ProjectionWorker` of one
partition (``K/N``) with a lease of its own, and supervises them: one that dies is started
again (it goes on from its partition's saved positions; one that dies as it starts stops
them all), and a stop (SIGTERM or Ctrl-C)
reaches every one, which finishes its batch in progress, saves its positions and exits.

On several machines, run ``complaintlog project --follow --partition K/N`` on each instead
(PostgreSQL): every partition needs one worker somewhere; two of the same wait for each
other's lease.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from collections.abc import Mapping
from multiprocessing.process import BaseProcess
from types import FrameType

from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.errors import ComplaintLogError, InvalidValueError
from complaintlog.projections._framework.partitions import Partition, partitions

__all__ = ["WorkerFailedError", "follow_in_processes"]


class WorkerFailedError(ComplaintLogError):
    """A partition's worker died right after it started (its error is on stderr)."""

    def __init__(self, partition: str, exitcode: int | None, settle: float) -> None:
        super().__init__(
            f"the worker of partition {partition} exited with {exitcode} within {settle:g} s "
            "of its start; its error is above"
        )
        self.partition = partition
        self.exitcode = exitcode


def follow_in_processes(
    url: str,
    workers: int,
    stop: threading.Event,
    *,
    policy: SlaPolicy | None = None,
    tenant_policies: Mapping[str, SlaPolicy] | None = None,
    batch_size: int = 5000,
    restart_after: float = 1.0,
    settle: float = 10.0,
) -> int:
    """Follow the log at ``url`` with ``workers`` processes until ``stop`` is set; returns
    how many times a worker that died was started again. One that fails with an error
    within ``settle`` seconds of its start fails the whole (:class:`WorkerFailedError`): a
    worker that cannot even start would only be started again and again. One killed (a
    signal, the OOM killer) is started again whenever it died."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidValueError("workers", workers, "a whole number of processes, at least 1")
    context = multiprocessing.get_context("spawn")
    own = dict(tenant_policies or {})

    def start(partition: Partition) -> BaseProcess:
        process = context.Process(
            target=_follow_partition,
            args=(url, policy, own, batch_size, partition),
            name=f"complaintlog project {partition}",
        )
        process.start()
        return process

    running = {partition: start(partition) for partition in partitions(workers)}
    started = dict.fromkeys(running, time.monotonic())
    restarts = 0
    try:
        while not stop.wait(restart_after):
            for partition, process in list(running.items()):
                if process.is_alive():
                    continue
                process.join()
                failed = process.exitcode is not None and process.exitcode > 0  # not killed
                if failed and time.monotonic() - started[partition] < settle:
                    raise WorkerFailedError(str(partition), process.exitcode, settle)
                running[partition] = start(partition)
                started[partition] = time.monotonic()
                restarts += 1
    finally:
        for process in running.values():
            if process.is_alive():
                process.terminate()  # SIGTERM: the batch in progress ends, positions saved
        for process in running.values():
            process.join(60)
            if process.is_alive():
                process.kill()
                process.join()
    return restarts


def _follow_partition(
    url: str,
    policy: SlaPolicy | None,
    tenant_policies: Mapping[str, SlaPolicy],
    batch_size: int,
    partition: Partition,
) -> None:
    """One worker process: its partition, until SIGTERM or SIGINT."""
    from complaintlog.application import ComplaintLog
    from complaintlog.projections.worker import ProjectionWorker

    stop = threading.Event()

    def handler(signum: int, _: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)
    with (
        ComplaintLog(url) as log,
        ProjectionWorker(
            log,
            policy=policy,
            tenant_policies=tenant_policies,
            batch_size=batch_size,
            partition=partition,
        ) as worker,
    ):
        worker.run(stop)
