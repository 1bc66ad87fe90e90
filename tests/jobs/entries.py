"""Small engine stand-ins the job tests run in real work horses (``entry`` in the job config).

Each takes the engine's signature ``(conf, progress=None, should_stop=None)``; ``conf["params"]``
carries the test's knobs.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import time


def _result(n: int = 1):
    import pandas as pd  # lazily: most test jobs never return a result

    new = {f"P{i}.nc": f"G0 X{i}\n" for i in range(n)}
    old = {f"P{i}.nc": f"G0 X{i + 1}\n" for i in range(n)}
    out_df = pd.DataFrame(
        {
            "program": list(new),
            "status": "optimized",
            "cycle_time_old_s": 2.0,
            "cycle_time_new_s": 1.0,
        }
    )
    return new, old, out_df


def quick(conf, progress=None, should_stop=None):
    """Return at once with a small valid result."""
    return _result(conf["params"].get("programs", 1))


def slow_exit(conf, progress=None, should_stop=None):
    """Return at once, then take ``exit_s`` to shut down with SIGUSR1's default action back in
    place, as a hosted .NET runtime does when it shuts down at exit."""

    def shut_down() -> None:
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        time.sleep(float(conf["params"].get("exit_s", 3.0)))

    atexit.register(shut_down)
    return _result()


def sleepy(conf, progress=None, should_stop=None):
    """Report progress for ``seconds``, honour should_stop, then return the result."""
    seconds = float(conf["params"].get("seconds", 5.0))
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < seconds:
        if should_stop():
            break
        progress(
            fraction=elapsed / seconds,
            stage="search",
            message=f"{elapsed:.1f} s",
            best_cycle_time_s=100.0 - elapsed,
        )
        time.sleep(0.05)
    return _result()


def raises(conf, progress=None, should_stop=None):
    raise ValueError("bad tool table: T99 is not defined")


def ignores_sigterm(conf, progress=None, should_stop=None):
    """Like a blocking native call: SIGTERM is ignored and the loop never checks should_stop."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(0.1)


def never_stops(conf, progress=None, should_stop=None):
    """Ignores should_stop (a hung native call): only the hard limit ends it."""
    while True:
        time.sleep(0.1)


def segfault(conf, progress=None, should_stop=None):
    time.sleep(float(conf["params"].get("delay", 0.0)))
    ctypes.string_at(0)


def hard_exit(conf, progress=None, should_stop=None):
    os._exit(int(conf["params"].get("code", 3)))


def self_kill(conf, progress=None, should_stop=None):
    time.sleep(float(conf["params"].get("delay", 0.0)))
    os.kill(os.getpid(), signal.SIGKILL)


def reports_budget(conf, progress=None, should_stop=None):
    """Like the engine: announce the scenario's budget, then work until asked to stop."""
    progress(fraction=0.0, stage="parse", time_limit_s=float(conf["params"]["budget_s"]))
    while not should_stop():
        time.sleep(0.05)
    return _result()


def big(conf, progress=None, should_stop=None):
    """A result of ``megabytes`` MB of random text: more than a small disk holds."""
    import pandas as pd

    size = int(float(conf["params"].get("megabytes", 4)) * 2**20)
    text = os.urandom(size // 2).hex()
    out_df = pd.DataFrame({"program": ["BIG.nc"], "status": "optimized"})
    return {"BIG.nc": text}, {"BIG.nc": "G0 X0\n"}, out_df


def echo_request(conf, progress=None, should_stop=None):
    """Return what the engine was asked: the request's paths, and the programs found there."""
    import pathlib

    import pandas as pd

    folder = pathlib.Path(conf["scenario_dir"])
    found = sorted(p.name for p in (folder / "programs").glob("*"))
    new = {"scenario_dir": conf["scenario_dir"], "data_dir": conf["data_dir"]}
    new["programs"] = ",".join(found)
    return new, dict(new), pd.DataFrame({"program": list(new), "status": "optimized"})
