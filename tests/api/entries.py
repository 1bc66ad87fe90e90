"""Engine stand-ins and a completion handler for the API tests, run by real supervisors.

The API starts jobs with the server's ``NCOPT_ENTRY``, so per-test knobs come from
``knobs.json`` in the scenario folder (not one of the scenario's inputs): ``seconds`` of work,
``fail`` (a message to raise), ``handler_failures`` (how often the completion handler raises
before it succeeds).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from pathlib import Path

log = logging.getLogger("tests.entry")


def knobs(folder: Path) -> dict:
    path = folder / "knobs.json"
    return json.loads(path.read_text()) if path.exists() else {}


def paced(conf, progress=None, should_stop=None):
    """Work ``seconds``, reporting progress and a log line twice a second; honour should_stop."""
    settings = knobs(Path(conf["scenario_dir"]))
    if settings.get("fail"):
        raise ValueError(settings["fail"])
    seconds = float(settings.get("seconds", 2.0))
    start = time.monotonic()
    logged = 0
    while (elapsed := time.monotonic() - start) < seconds and not should_stop():
        progress(
            fraction=elapsed / seconds,
            stage="search",
            message=f"{elapsed:.1f} s",
            best_cycle_time_s=round(100.0 - elapsed, 3),
            program="P1.nc",
            tool=2,
            activity="holes",
        )
        if elapsed >= logged * 0.5:
            log.info("searching, %.1f s", elapsed)
            logged += 1
        time.sleep(0.05)
    return _result(stopped=should_stop())


def _result(stopped: bool):
    import pandas as pd

    new = {"P1.nc": "%\nO1000\nG0 X1. Y1.\nM30\n%\n", "P2.nc": "%\nO2000\nM30\n%\n"}
    old = {"P1.nc": "%\nO1000\nG0 X2. Y2.\nM30\n%\n", "P2.nc": "%\nO2000\nM30\n%\n"}
    out_df = pd.DataFrame(
        {
            "program": ["P1.nc", "P2.nc"],
            "status": ["optimized", "error"],
            "reason": ["re-sequenced and verified" + (" (stopped early)" if stopped else ""), "x"],
            "cycle_time_old_s": [10.0, math.nan],
            "cycle_time_new_s": [8.0, math.nan],
            "saving_s": [2.0, math.nan],
            "saving_pct": [20.0, math.nan],
            "holes": [12, 0],
        }
    )
    return new, old, out_df


def record_completion(summary: dict) -> None:
    """``NCOPT_ON_COMPLETE`` handler: append the summary to the scenario's ``handled.jsonl``,
    after raising ``handler_failures`` times (counted in ``handler_attempts``)."""
    root = Path(os.environ["NCOPT_DATA_DIR"])
    folder = root / summary["department"] / "scenario" / summary["scenario"]
    attempts = folder / "handler_attempts"
    count = int(attempts.read_text()) + 1 if attempts.exists() else 1
    attempts.write_text(str(count))
    if count <= int(knobs(folder).get("handler_failures", 0)):
        raise RuntimeError(f"handler failure {count}")
    with open(folder / "handled.jsonl", "a") as fh:
        fh.write(json.dumps(summary) + "\n")


def hangs(summary: dict) -> None:
    """A handler stuck in a call that never returns."""
    time.sleep(60)
