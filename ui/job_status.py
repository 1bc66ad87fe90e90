"""The live status panel of a scenario's job: a fragment that polls until the job ends.

Fresh first, cheap after: for ``FAST_WINDOW_S`` after a start, a cancel or any state change
the fragment reruns every ``FAST_POLL_S``, so ``running`` shows within a second of Start;
then it backs off to ``$NCOPT_POLL_S`` (default 10). A fragment's ``run_every`` is fixed
when it is defined, so a change of pace — or the job's end — asks for a full rerun, which
defines the panel again with the new interval (or none). The elapsed time ticks every
second in the browser between polls (a small script counts from the start time).
"""

from __future__ import annotations

import json
import os
import time

import streamlit as st

import processing
from jobstore import ACTIVE_STATES
from ui import state
from ui.i18n import has, state_label, t, term
from ui.messages import translate
from ui.plain import md_text

__all__ = [
    "FAST_POLL_S",
    "FAST_WINDOW_S",
    "poll_every",
    "poll_interval_s",
    "render_job_status",
    "stage_text",
]

LOG_TAIL_BYTES = 6000
FAST_POLL_S = 0.25  # one poll costs about a millisecond of server time (bench/ui.py)
FAST_WINDOW_S = 15.0


def poll_interval_s() -> float:
    try:
        return max(FAST_POLL_S, float(os.environ.get("NCOPT_POLL_S", "10")))
    except ValueError:
        return 10.0


def poll_every(active: bool, fast_until: float, now: float) -> float | None:
    """Seconds between polls: none for an ended job, fast just after a change, then slow.

    >>> poll_every(False, 0.0, 5.0) is None, poll_every(True, 10.0, 5.0)
    (True, 0.25)
    """
    if not active:
        return None
    return FAST_POLL_S if now < fast_until else poll_interval_s()


def render_job_status(department: str, scenario: str, *, show_idle: bool = True) -> dict:
    """Show the job and poll while it is active; returns the status read first."""
    info = processing.get_optimization_status(department, scenario)
    active = info["state"] in ACTIVE_STATES
    fast_until = float(st.session_state.get(state.FAST_POLL_UNTIL) or 0.0)
    now = time.monotonic()
    interval = poll_every(active, fast_until, now)
    fast = active and now < fast_until
    seen = (info.get("job_id"), info["state"])

    @st.fragment(run_every=interval)
    def panel() -> None:
        latest = processing.get_optimization_status(department, scenario)
        ended = latest["state"] not in ACTIVE_STATES
        if active and (ended or latest.get("job_id") != seen[0]):
            st.rerun()  # the job ended: the whole page changes (outcome, result), polling stops
        if latest["state"] != seen[1] and not fast:
            state.poll_fast(FAST_WINDOW_S)  # queued → running: watch closely for a while
            st.rerun()  # the pace is fixed when the fragment is defined
        if fast and time.monotonic() >= fast_until:
            st.rerun()  # back off to the slow pace
        _render(department, scenario, latest, show_idle)

    panel()
    return info


def _render(department: str, scenario: str, info: dict, show_idle: bool) -> None:
    job_state = info["state"]
    if job_state == "idle":
        if show_idle:
            st.info(t("no_job_yet"))
        return
    progress = info.get("progress") or {}
    cols = st.columns(4)
    cols[0].metric(t("status"), state_label(job_state))
    with cols[1]:
        _elapsed(info)
    best = progress.get("best_cycle_time_s")
    original = progress.get("original_cycle_time_s")
    cols[2].metric(
        t("best_so_far"),
        f"{best:,.1f} s" if best else "-",
        delta=_delta(best, original),
        delta_color="inverse",
    )
    cols[3].metric(t("job_id"), (info.get("job_id") or "-")[-6:])
    if job_state in ACTIVE_STATES:
        fraction = min(1.0, max(0.0, float(progress.get("fraction") or 0.0)))
        st.progress(fraction, text=f"{100 * fraction:.0f} % · {md_text(stage_text(progress))}")
        _controls(department, scenario)
    if info.get("outdated"):
        st.warning(t("outdated_warning"))
    if info.get("note"):
        st.caption(f"{t('note')}: {md_text(translate(info['note']))}")
    if info.get("error"):
        st.error(f"{t('error')}: {md_text(translate(info['error'].get('message') or ''))}")
    with st.expander(t("log_tail")):
        st.code(
            processing.read_log_tail(department, scenario, LOG_TAIL_BYTES) or "-", language=None
        )


def stage_text(progress: dict) -> str:
    """What the job does now, in the user's language: "排序 T1 孔位 … (PANEL-8UP.nc)"."""
    activity = progress.get("activity")
    tool = progress.get("tool")
    tool_text = f"T{tool}" if tool not in (None, "") else ""
    if activity and has(f"activity.{activity}"):
        text = term("activity", activity)
        text = text.format(tool=tool_text) if "{tool}" in text else text
        text = " ".join(text.split())
    else:
        text = term("stage", progress.get("stage") or "queued")
    program = progress.get("program")
    return f"{text} ({program})" if program else text


def _delta(best: float | None, original: float | None) -> str | None:
    if not best or not original:
        return None
    saving = original - best
    if round(saving, 1) == 0:
        return None  # nothing found yet: no "-0.0 s"
    return f"{-saving:,.1f} s ({-100 * saving / original:.1f} %)"


def _elapsed(info: dict) -> None:
    """Elapsed time that counts up in the browser every second while the job is active."""
    elapsed = info.get("elapsed_s")
    st.metric(t("elapsed"), _duration(elapsed) if elapsed is not None else "-")
    if info["state"] in ACTIVE_STATES and elapsed is not None:
        st.html(
            _TICKER.replace("__START__", json.dumps(time.time() - elapsed)),
            unsafe_allow_javascript=True,
        )


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# Rewrites the Elapsed metric next to it every second from the job's start (server time; a
# clock skew between server and browser shifts the count, the next poll corrects it).
_TICKER = """<span class="ncopt-ticker" data-start="__START__" hidden></span><script>
(() => {
  if (window.ncoptTicker) return;
  window.ncoptTicker = setInterval(() => {
    document.querySelectorAll('.ncopt-ticker').forEach((tick) => {
      const box = tick.closest('[data-testid="stVerticalBlock"]');
      const value = box && box.querySelector('[data-testid="stMetricValue"] div');
      if (!value) return;
      const s = Math.max(0, Math.floor(Date.now() / 1000 - Number(tick.dataset.start)));
      const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
      const mm = h ? String(m).padStart(2, '0') : String(m);
      value.textContent = (h ? h + ':' : '') + mm + ':' + String(sec).padStart(2, '0');
    });
  }, 1000);
})();
</script>"""


def _controls(department: str, scenario: str) -> None:
    left, right = st.columns(2)
    if left.button(t("cancel"), key="job_cancel", type="secondary"):
        processing.cancel_optimization(department, scenario)
        _requested("cancel_requested")
    if right.button(t("finish_now"), key="job_finish"):
        processing.cancel_optimization(department, scenario, finish=True)
        _requested("finish_requested")


def _requested(message_key: str) -> None:
    state.poll_fast(FAST_WINDOW_S)  # the end is near: show it as soon as it is written
    state.flash(t(message_key), "info")
    st.rerun()
