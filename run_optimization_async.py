"""The detached worker: a small supervisor that runs the engine in a work-horse child process.

    python run_optimization_async.py SCENARIO_DIR JOB_ID      # supervisor (spawned detached)
    python run_optimization_async.py --horse DIR JOB_ID FD     # work horse (by the supervisor)

After RQ's worker/work-horse split: the supervisor owns the status file, heartbeats, polls the
control file, enforces the time limits and holds a host slot; the engine runs in the child, so a
segfault, an OOM kill or a hung native call there still ends in a written final state. Imports
at module level are the standard library and psutil only, so the job is ``running`` quickly.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import logging
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from job_hooks import run_hooks  # at import: a Celery worker cannot import it later
from jobstore import (
    HOST,
    LOG_FILE,
    MAX_TIME_LIMIT_S,
    JobError,
    JobFailure,
    JobResult,
    JobState,
    Limits,
    SlotQueue,
    SpaceReserve,
    cap_log,
    env_float,
    finish_on_behalf,
    publish_result,
    read_config,
    read_control,
    update_status,
    utc_now,
)

log = logging.getLogger("ncopt.supervisor")

TICK_S = 0.1
PROGRESS_MIN_INTERVAL_S = 0.25  # at most 4 status writes a second from progress
LOG_CAP_BYTES = int(env_float("NCOPT_LOG_MAX_BYTES", 5 * 1024 * 1024))


@dataclass
class _Run:
    """What the supervisor has seen of one work horse; decides the outcome when it exits."""

    stop_reason: str | None = None  # "cancel", "hard_limit"
    early_stop: str | None = None  # "finish", "soft_limit": the engine was asked to stop early
    kill_at: float | None = None  # monotonic time to SIGKILL the work horse
    error: JobFailure | None = None
    result_path: str | None = None
    progress: dict[str, Any] = field(default_factory=dict)
    progress_dirty: bool = False
    ready: bool = False  # the work horse spoke: its SIGUSR1 handler is installed


class _NotOurs(Exception):
    """The status file now belongs to another job (a newer start) or cannot be read."""


class Supervisor:
    def __init__(self, folder: Path, job_id: str) -> None:
        self.folder = folder
        self.job_id = job_id
        config = read_config(folder)
        if config is None or config.job_id != job_id:
            raise JobError(f"the config in {folder} is not job {job_id}'s")
        self.config = config
        self.soft_s, self.hard_s = config.limits.soft_s, config.limits.hard_s
        self.grace_s = env_float("NCOPT_GRACE_S", 5.0)
        self.heartbeat_s = env_float("NCOPT_HEARTBEAT_S", 2.0)
        self.reserve = SpaceReserve(folder)
        self.signalled: str | None = None
        self.last_beat = 0.0
        self.last_progress_write = 0.0
        self.last_log_check = 0.0

    # Signal handlers only set a flag; the main loop acts on it.
    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.signalled = signal.Signals(signum).name

    def update(self, **changes: Any) -> bool:
        """Write a change of the status; False if the disk refused it (the job goes on)."""
        try:
            written = update_status(self.folder, self.job_id, **changes)
        except OSError as exc:
            log.warning("could not write the status (%s); carrying on", exc)
            return False
        if written is None:
            raise _NotOurs(f"status file no longer belongs to job {self.job_id}; exiting")
        return True

    def finish(self, **final: Any) -> None:
        """Write the final state. On a full disk the space reserve is given up for it: a job
        that ended must not read ``lost`` because its last word did not fit."""
        if not self.update(**final):
            self.reserve.release()
            if not self.update(**final):
                log.error("job %s: the final state %s could not be written", self.job_id, final)

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        import psutil

        me = psutil.Process()
        self.update(pid=me.pid, pid_create_time=me.create_time(), host=HOST)
        try:
            self.reserve.take()
        except OSError as exc:
            self.finish(**_failed(JobFailure.from_exception(exc, "no disk space for the job")))
            return 1
        try:
            return self._run_in_slot()
        finally:
            self.reserve.release()

    def _run_in_slot(self) -> int:
        # The data dir is where this scenario folder is (<data>/<dept>/scenario/<name>), not the
        # path frozen in the config: a Celery worker may mount the share elsewhere.
        queue = SlotQueue(self.folder.resolve().parents[2], HOST)
        with queue.ticket(self.config.created_at, self.job_id):
            if not self._wait_for_slot(queue):
                self.finish(state=JobState.CANCELLED, finished_at=utc_now(), note=_UNSTARTED)
                return 0
        try:
            return self._run_horse(queue.slot_index)
        finally:
            queue.release()

    def _wait_for_slot(self, queue: SlotQueue) -> bool:
        logged = False
        while not queue.try_acquire():
            if self.signalled or read_control(self.folder, self.job_id) == "cancel":
                return False
            if not logged:
                log.info("all %d slots busy on %s: queued", queue.max_workers, HOST)
                logged = True
            self._heartbeat(time.monotonic())
            time.sleep(TICK_S)
        return True

    def _run_horse(self, slot: int) -> int:
        read_fd, write_fd = os.pipe()
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--horse",
            str(self.folder),
            self.job_id,
            str(write_fd),
        ]
        horse = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            pass_fds=(write_fd,),
            close_fds=True,
            cwd=Path(__file__).resolve().parent,
        )
        os.close(write_fd)
        started = time.monotonic()
        self.update(
            state=JobState.RUNNING,
            started_at=utc_now(),
            worker_pid=horse.pid,
            heartbeat_at=utc_now(),
            slot=slot,
            progress={"stage": "starting", "message": "work horse started"},
        )
        log.info("job %s running in work horse %d (slot %d)", self.job_id, horse.pid, slot)
        run = _Run()
        buffer = b""
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            while horse.poll() is None:
                buffer = self._drain(pipe, buffer, run)
                now = time.monotonic()
                self._enforce_limits(horse, run, now - started, now)
                self._heartbeat(now, run)
            self._drain(pipe, buffer, run, final=True)
        return self._outcome(horse.returncode, run)

    def _drain(self, pipe: Any, buffer: bytes, run: _Run, final: bool = False) -> bytes:
        while True:
            ready, _, _ = select.select([pipe], [], [], 0 if final else TICK_S)
            if not ready:
                break
            chunk = pipe.read(65536)
            if not chunk:
                break
            buffer += chunk
            final = True  # after the first read, only take what is already there
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            self._on_message(line, run)
        return buffer

    def _on_message(self, line: bytes, run: _Run) -> None:
        try:
            msg = json.loads(line)
        except ValueError:
            log.warning("unreadable message from work horse: %r", line[:200])
            return
        if not isinstance(msg, dict):
            log.warning("unreadable message from work horse: %r", line[:200])
            return
        kind = msg.pop("event", None)
        run.ready = True
        if kind == "progress":
            budget = msg.pop("time_limit_s", None)
            if isinstance(budget, int | float):
                self._adopt_engine_budget(float(budget))
            run.progress.update({k: v for k, v in msg.items() if v is not None})
            run.progress_dirty = True
        elif kind == "result":
            run.result_path = msg.get("path")
        elif kind == "error":
            run.error = JobFailure.from_dict(msg)

    def _adopt_engine_budget(self, budget_s: float) -> None:
        """The engine's own budget (the scenario's time_limit_s) becomes the soft limit when
        the caller gave none: the status then shows the limit that actually applies, and the
        hard limit follows it instead of staying at the 30-minute backstop."""
        if self.config.time_limit_s is not None or not 0 < budget_s <= MAX_TIME_LIMIT_S:
            return
        self.soft_s = budget_s
        self.hard_s = budget_s * 1.5 + 60.0
        self.update(limits=Limits(self.soft_s, self.hard_s))

    def _enforce_limits(
        self, horse: subprocess.Popen, run: _Run, elapsed: float, now: float
    ) -> None:
        """Apply requests and limits; escalate SIGTERM to SIGKILL after the grace period."""
        action = "cancel" if self.signalled else read_control(self.folder, self.job_id)
        if action == "cancel" and run.stop_reason is None:
            self._terminate(horse, run, "cancel", now)
        elif elapsed >= self.hard_s and run.stop_reason is None:
            self._terminate(horse, run, "hard_limit", now)
        elif (
            run.ready
            and run.early_stop is None
            and run.result_path is None
            and run.error is None
            and (action == "finish" or elapsed >= self.soft_s)
        ):
            # Only once the horse has spoken: before its handler exists SIGUSR1 would kill it.
            # And not once it has delivered its outcome: it is then shutting down, and Python
            # (or a .NET runtime it hosted) restores the default action, which is to die.
            run.early_stop = "finish" if action == "finish" else "soft_limit"
            log.info("asking the engine to stop early (%s)", run.early_stop)
            _send(horse, signal.SIGUSR1)
            run.progress.update(stage="stopping", message="stopping early, keeping the best found")
            run.progress_dirty = True
        if run.kill_at is not None and now >= run.kill_at:
            log.warning("work horse ignored SIGTERM for %.1f s: SIGKILL", self.grace_s)
            _send(horse, signal.SIGKILL)
            run.kill_at = None

    def _terminate(self, horse: subprocess.Popen, run: _Run, reason: str, now: float) -> None:
        log.info("stopping work horse %d: %s", horse.pid, reason)
        run.stop_reason = reason
        run.kill_at = now + self.grace_s
        _send(horse, signal.SIGTERM)

    def _heartbeat(self, now: float, run: _Run | None = None) -> None:
        dirty = run is not None and run.progress_dirty
        beat_due = now - self.last_beat >= self.heartbeat_s
        if not beat_due and not (
            dirty and now - self.last_progress_write >= PROGRESS_MIN_INTERVAL_S
        ):
            return
        changes: dict[str, Any] = {"heartbeat_at": utc_now()}
        if dirty:
            changes["progress"] = dict(run.progress)
            run.progress_dirty = False
            self.last_progress_write = now
        self.update(**changes)
        self.last_beat = now
        if now - self.last_log_check > 5.0:
            self.last_log_check = now
            with contextlib.suppress(OSError):
                cap_log(self.folder / LOG_FILE, LOG_CAP_BYTES)

    def _outcome(self, returncode: int, run: _Run) -> int:
        """The job's final state, one branch per way a work horse can end."""
        final: dict[str, Any]
        if run.stop_reason == "cancel":
            final = {"state": JobState.CANCELLED, "note": "cancelled on request"}
        elif run.stop_reason == "hard_limit":
            final = _failed(JobFailure.time_limit(self.hard_s), JobState.TIMED_OUT)
        elif returncode == 0 and run.result_path and Path(run.result_path).is_file():
            final = self._publish(Path(run.result_path), run.early_stop)
        elif returncode < 0:
            final = _failed(JobFailure.killed_by(-returncode))
        elif run.error is not None:
            final = _failed(run.error)
        else:
            final = _failed(JobFailure.exited(returncode))
        if run.result_path:  # published or not, the work horse's temp file goes
            Path(run.result_path).unlink(missing_ok=True)
        # Log first: whoever sees the final state may read the log at once.
        log.info("job %s ended: %s", self.job_id, final["state"])
        self.finish(finished_at=utc_now(), heartbeat_at=utc_now(), **final)
        return 0 if final["state"] == JobState.SUCCEEDED else 1

    def _publish(self, result_path: Path, early_stop: str | None) -> dict[str, Any]:
        try:
            data = result_path.read_bytes()
            publish_result(
                self.folder, self.config.department, self.config.scenario, self.job_id, data
            )
        except (OSError, JobError) as exc:
            return _failed(JobFailure.from_exception(exc, "the result could not be saved"))
        note = {
            "soft_limit": f"stopped at the time limit of {self.soft_s:g} s; best found so far",
            "finish": "finished early on request; best found so far",
        }
        return {
            "state": JobState.SUCCEEDED,
            "note": note.get(early_stop or ""),
            "progress": {"fraction": 1.0, "stage": "done", "message": "results saved"},
        }


_UNSTARTED = "cancelled while queued"


def _failed(failure: JobFailure, state: JobState = JobState.FAILED) -> dict[str, Any]:
    return {"state": state, "error": failure}


def _send(horse: subprocess.Popen, sig: signal.Signals) -> None:
    if horse.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(horse.pid, sig)


def supervise(folder: Path, job_id: str) -> int:
    """Run one job's supervisor to the end; every failure of its own still writes a state."""
    try:
        return Supervisor(folder, job_id).run()
    except _NotOurs as exc:
        log.warning("%s", exc)
        return 1
    except BaseException as exc:
        log.exception("supervisor failed")
        failure = JobFailure.from_exception(exc, "supervisor error")
        with contextlib.suppress(OSError):
            finish_on_behalf(folder, job_id, JobState.FAILED, error=failure)
        return 1
    finally:
        # After the final state is written and the slot freed: hooks cannot change the outcome.
        run_hooks(folder, job_id)


# ---------------------------------------------------------------------------------- work horse


_STOP_REQUESTED = False


def _request_stop(_signum: int, _frame: Any) -> None:
    global _STOP_REQUESTED
    _STOP_REQUESTED = True


def _die_with_parent(parent_pid: int) -> None:
    """Linux: SIGKILL this process when the supervisor dies, so no orphan keeps computing."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


class _Channel:
    """The work horse's side of the pipe: JSON lines, progress thinned to 20 a second."""

    def __init__(self, fd: int) -> None:
        self.stream = os.fdopen(fd, "w", buffering=1)
        self.last_progress = 0.0

    def send(self, event: str, **payload: Any) -> None:
        self.stream.write(json.dumps({"event": event, **payload}, default=str) + "\n")

    def progress(
        self,
        fraction: float | None = None,
        stage: str | None = None,
        message: str | None = None,
        best_cycle_time_s: float | None = None,
        **extra: Any,
    ) -> None:
        now = time.monotonic()
        if now - self.last_progress < 0.05 and fraction not in (0.0, 1.0):
            return  # the supervisor writes at most a few per second anyway
        self.last_progress = now
        self.send(
            "progress",
            fraction=fraction,
            stage=stage,
            message=message,
            best_cycle_time_s=best_cycle_time_s,
            **extra,
        )


def horse_main(folder: Path, job_id: str, fd: int) -> int:
    _die_with_parent(os.getppid())
    signal.signal(signal.SIGUSR1, _request_stop)
    channel = _Channel(fd)
    channel.send("ready")  # the SIGUSR1 handler is in place: "finish now" may come from here on
    tmp = folder / f".result.{job_id}.tmp"
    try:
        config = read_config(folder)
        if config is None or config.job_id != job_id:
            raise JobError(f"the config in {folder} is not job {job_id}'s")
        module_name, _, func_name = config.entry.partition(":")
        entry = getattr(importlib.import_module(module_name), func_name)
        channel.progress(0.0, "running", f"running {config.entry}")
        new_codes, old_codes, out_df = entry(
            config.engine_request(folder),
            progress=channel.progress,
            should_stop=lambda: _STOP_REQUESTED,
        )
        result = JobResult(
            job_id=job_id,
            success=True,
            new_codes=new_codes,
            old_codes=old_codes,
            out_df=out_df,
            config_hash=config.config_hash,
            stopped_early=_STOP_REQUESTED,
            finished_at=utc_now(),
        )
        _dump(result, tmp)
        # Nothing is left to stop: a late "finish now" must not kill the exiting process.
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        channel.send("result", path=str(tmp))
        return 0
    except BaseException as exc:  # the outcome goes to the supervisor, whatever it was
        logging.getLogger("ncopt.horse").exception("optimization failed")
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        tmp.unlink(missing_ok=True)
        context = "the result could not be written" if isinstance(exc, OSError) else ""
        channel.send("error", **JobFailure.from_exception(exc, context).to_dict())
        return 1
    finally:
        channel.stream.close()


def _dump(result: JobResult, path: Path) -> None:
    import joblib  # here, not at start: the supervisor never pays for it

    try:
        joblib.dump(result.to_dict(), path)
    except BaseException:
        path.unlink(missing_ok=True)  # a full disk must not leave half a result behind
        raise


def main(argv: list[str]) -> int:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if argv and argv[0] == "--horse":
        return horse_main(Path(argv[1]), argv[2], int(argv[3]))
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    return supervise(Path(argv[0]), argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
