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
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from job_hooks import run_hooks  # at import: a Celery worker cannot import it later
from jobstore import (
    CONFIG_FILE,
    HOST,
    LOG_FILE,
    JobState,
    SlotQueue,
    cap_log,
    env_float,
    finish_on_behalf,
    publish_result,
    read_control,
    read_json,
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
    error: dict[str, Any] | None = None
    result_path: str | None = None
    progress: dict[str, Any] = field(default_factory=dict)
    progress_dirty: bool = False
    ready: bool = False  # the work horse spoke: its SIGUSR1 handler is installed


class Supervisor:
    def __init__(self, folder: Path, job_id: str) -> None:
        self.folder = folder
        self.job_id = job_id
        self.config: dict[str, Any] = read_json(folder / CONFIG_FILE) or {}
        if self.config.get("job_id") != job_id:
            raise RuntimeError(f"config in {folder} is not job {job_id}")
        self.grace_s = env_float("NCOPT_GRACE_S", 5.0)
        self.heartbeat_s = env_float("NCOPT_HEARTBEAT_S", 2.0)
        self.signalled: str | None = None
        self.last_beat = 0.0
        self.last_progress_write = 0.0
        self.last_log_check = 0.0

    # Signal handlers only set a flag; the main loop acts on it.
    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.signalled = signal.Signals(signum).name

    def update(self, **changes: Any) -> None:
        if update_status(self.folder, self.job_id, **changes) is None:
            raise SystemExit(f"status file no longer belongs to job {self.job_id}; exiting")

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        import psutil

        me = psutil.Process()
        self.update(pid=me.pid, pid_create_time=me.create_time(), host=HOST)
        limits = self.config.get("limits") or {}
        self.soft_s = float(limits.get("soft_s") or 1800.0)
        self.hard_s = float(limits.get("hard_s") or self.soft_s * 1.5 + 60.0)
        # The data dir is where this scenario folder is (<data>/<dept>/scenario/<name>), not the
        # path frozen in the config: a Celery worker may mount the share elsewhere.
        queue = SlotQueue(self.folder.resolve().parents[2], HOST)
        with queue.ticket(self.config["created_at"], self.job_id):
            if not self._wait_for_slot(queue):
                return self._finish_unstarted()
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

    def _finish_unstarted(self) -> int:
        self.update(
            state=JobState.CANCELLED.value, finished_at=utc_now(), note="cancelled while queued"
        )
        return 0

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
            state=JobState.RUNNING.value,
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
                self._police(horse, run, now - started, now)
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
        kind = msg.pop("event", None)
        run.ready = True
        if kind == "progress":
            budget = msg.pop("time_limit_s", None)
            if budget is not None:
                self._adopt_engine_budget(float(budget))
            run.progress.update({k: v for k, v in msg.items() if v is not None})
            run.progress_dirty = True
        elif kind == "result":
            run.result_path = msg.get("path")
        elif kind == "error":
            run.error = msg

    def _adopt_engine_budget(self, budget_s: float) -> None:
        """The engine's own budget (the scenario's time_limit_s) becomes the soft limit when
        the caller gave none: the status then shows the limit that actually applies, and the
        hard limit follows it instead of staying at the 30-minute backstop."""
        if self.config.get("time_limit_s") is not None or not budget_s > 0:
            return
        self.soft_s = budget_s
        self.hard_s = budget_s * 1.5 + 60.0
        self.update(limits={"soft_s": self.soft_s, "hard_s": self.hard_s})

    def _police(self, horse: subprocess.Popen, run: _Run, elapsed: float, now: float) -> None:
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
            cap_log(self.folder / LOG_FILE, LOG_CAP_BYTES)

    def _outcome(self, returncode: int, run: _Run) -> int:
        """The job's final state, one branch per way a work horse can end."""
        final: dict[str, Any] = {"finished_at": utc_now(), "heartbeat_at": utc_now()}
        if run.stop_reason == "cancel":
            final.update(state=JobState.CANCELLED.value, note="cancelled on request")
        elif run.stop_reason == "hard_limit":
            final.update(
                state=JobState.TIMED_OUT.value,
                error={
                    "type": "TimeLimitExceeded",
                    "traceback": None,
                    "message": f"killed at the hard time limit of {self.hard_s:g} s",
                },
            )
        elif returncode == 0 and run.result_path and Path(run.result_path).is_file():
            publish_result(self.folder, self.job_id, Path(run.result_path).read_bytes())
            Path(run.result_path).unlink()
            note = {
                "soft_limit": f"stopped at the time limit of {self.soft_s:g} s; best found so far",
                "finish": "finished early on request; best found so far",
            }
            final.update(
                state=JobState.SUCCEEDED.value,
                note=note.get(run.early_stop or ""),
                progress={"fraction": 1.0, "stage": "done", "message": "results saved"},
            )
        elif returncode < 0:
            name = signal.Signals(-returncode).name
            final.update(
                state=JobState.FAILED.value,
                error={
                    "type": "WorkHorseKilled",
                    "signal": name,
                    "traceback": None,
                    "message": f"the optimization process was killed by {name} "
                    f"(signal {-returncode})",
                },
            )
        elif run.error is not None:
            final.update(state=JobState.FAILED.value, error=run.error)
        else:
            final.update(
                state=JobState.FAILED.value,
                error={
                    "type": "WorkHorseExited",
                    "exit_code": returncode,
                    "traceback": None,
                    "message": f"the optimization process exited with code {returncode} "
                    "without a result",
                },
            )
        # Log first: whoever sees the final state may read the log at once.
        log.info("job %s ended: %s", self.job_id, final["state"])
        self.update(**final)
        return 0 if final["state"] == JobState.SUCCEEDED else 1


def _send(horse: subprocess.Popen, sig: signal.Signals) -> None:
    if horse.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(horse.pid, sig)


def supervise(folder: Path, job_id: str) -> int:
    """Run one job's supervisor to the end; every failure of its own still writes a state."""
    try:
        return Supervisor(folder, job_id).run()
    except SystemExit:
        raise
    except BaseException as exc:
        log.exception("supervisor failed")
        finish_on_behalf(
            folder,
            job_id,
            JobState.FAILED.value,
            error={
                "type": type(exc).__name__,
                "message": f"supervisor error: {exc}",
                "traceback": traceback.format_exc(),
            },
        )
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


def horse_main(folder: Path, job_id: str, fd: int) -> int:
    _die_with_parent(os.getppid())
    signal.signal(signal.SIGUSR1, _request_stop)
    channel = os.fdopen(fd, "w", buffering=1)

    def send(event: str, **payload: Any) -> None:
        channel.write(json.dumps({"event": event, **payload}, default=str) + "\n")

    send("ready")  # the SIGUSR1 handler is in place: "finish now" may be sent from here on
    last_progress = 0.0

    def progress(
        fraction: float | None = None,
        stage: str | None = None,
        message: str | None = None,
        best_cycle_time_s: float | None = None,
        **extra: Any,
    ) -> None:
        nonlocal last_progress
        now = time.monotonic()
        if now - last_progress < 0.05 and fraction not in (0.0, 1.0):
            return  # the supervisor writes at most a few per second anyway
        last_progress = now
        send(
            "progress",
            fraction=fraction,
            stage=stage,
            message=message,
            best_cycle_time_s=best_cycle_time_s,
            **extra,
        )

    config = read_json(folder / CONFIG_FILE) or {}
    try:
        module_name, _, func_name = str(config["entry"]).partition(":")
        entry = getattr(importlib.import_module(module_name), func_name)
        progress(0.0, "running", f"running {config['entry']}")
        new_codes, old_codes, out_df = entry(
            config, progress=progress, should_stop=lambda: _STOP_REQUESTED
        )
        import joblib

        result = {
            "success": True,
            "new_codes": new_codes,
            "old_codes": old_codes,
            "out_df": out_df,
            "error": None,
            "job_id": job_id,
            "config_hash": config.get("config_hash"),
            "stopped_early": _STOP_REQUESTED,
            "finished_at": utc_now(),
        }
        tmp = folder / f".result.{job_id}.tmp"
        joblib.dump(result, tmp)
        # Nothing is left to stop: a late "finish now" must not kill the exiting process.
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        send("result", path=str(tmp))
        return 0
    except BaseException as exc:  # the outcome goes to the supervisor, whatever it was
        logging.getLogger("ncopt.horse").exception("optimization failed")
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        send(
            "error",
            type=type(exc).__name__,
            message=str(exc) or type(exc).__name__,
            traceback=traceback.format_exc(),
        )
        return 1
    finally:
        channel.close()


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
