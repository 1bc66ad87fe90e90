"""Rename, delete and upload take the scenario lock and refuse while a job is active; an upload
never overwrites a program unasked, and keeps the one it replaces (issue 15, items 7 and 14)."""

from __future__ import annotations

import os
import threading

import pytest

import jobstore
import processing
from tests.jobs.helpers import start, wait_for, wait_state, wait_terminal
from ui import data as ui_data

PROGRAM = "%\nO1000\nG0 X1. Y1.\nM30\n%\n"


def _in_thread(call) -> tuple[threading.Thread, list]:
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.mark.parametrize("change", ["rename", "delete"])
def test_the_pages_rename_and_delete_wait_for_the_scenario_lock(scenario, change):
    call = {
        "rename": lambda: ui_data.rename_scenario("dept", "scen", "renamed"),
        "delete": lambda: ui_data.delete_scenario("dept", "scen"),
    }[change]
    with jobstore.scenario_lock(scenario):  # what a start holds while it decides
        thread, outcome = _in_thread(call)
        thread.join(timeout=0.5)
        assert thread.is_alive() and scenario.is_dir(), "changed under a start's feet"
    thread.join(timeout=10)
    assert not isinstance(outcome[0], Exception), outcome
    assert not scenario.exists()
    assert (scenario.parent / "renamed").is_dir() == (change == "rename")


def test_a_start_that_waited_for_a_rename_finds_no_scenario(scenario):
    with jobstore.scenario_lock(scenario):
        thread, outcome = _in_thread(lambda: start("quick"))
        wait_for(lambda: thread.is_alive(), what="start waiting for the lock")
        os.rename(scenario, scenario.with_name("renamed"))  # as rename_scenario does, locked
    thread.join(timeout=10)
    assert isinstance(outcome[0], processing.InputError), outcome
    assert not (scenario.with_name("renamed") / jobstore.STATUS_FILE).exists()


def test_changes_are_refused_while_a_job_is_active(scenario):
    start("sleepy", params={"seconds": 30})
    wait_state("running")
    refusals = [
        lambda: processing.rename_scenario("dept", "scen", "renamed"),
        lambda: processing.delete_scenario("dept", "scen"),
        lambda: processing.upload_program("dept", "scen", "NEW.nc", PROGRAM.encode()),
    ]
    for change in refusals:
        with pytest.raises(processing.JobActiveError, match="cancel it first"):
            change()
    assert sorted(p.name for p in (scenario / "programs").iterdir()) == ["P1.nc"]
    processing.cancel_optimization("dept", "scen", wait=True)
    wait_terminal()
    processing.rename_scenario("dept", "scen", "renamed")
    assert (scenario.parent / "renamed" / "renamed.xlsx").is_file()


def test_an_upload_never_overwrites_unasked_and_keeps_what_it_replaces(scenario):
    old = (scenario / "programs" / "P1.nc").read_bytes()
    new = PROGRAM.replace("X1.", "X2.").encode()
    with pytest.raises(processing.InputError, match="exists already"):
        processing.upload_program("dept", "scen", "P1.nc", new)
    with pytest.raises(processing.InputError, match="exists already"):
        processing.upload_program("dept", "scen", "p1.NC", new)  # the same program to a user
    assert (scenario / "programs" / "P1.nc").read_bytes() == old
    saved = processing.upload_program("dept", "scen", "p1.NC", new, replace=True)
    assert sorted(p.name for p in (scenario / "programs").iterdir()) == ["p1.NC"]
    assert (scenario / "programs" / "p1.NC").read_bytes() == new
    kept = scenario / "replaced"
    assert saved["replaced"] and [p.read_bytes() for p in kept.iterdir()] == [old]


@pytest.mark.parametrize(
    "name", ["../P2.nc", "sub/P2.nc", ".hidden.nc", "a\nb.nc", "", "模" * 70 + ".nc"]
)
def test_an_upload_with_a_name_that_is_not_a_plain_file_name_is_refused(scenario, name):
    with pytest.raises(processing.InputError):
        processing.upload_program("dept", "scen", name, PROGRAM.encode())
    assert sorted(p.name for p in (scenario / "programs").iterdir()) == ["P1.nc"]
    assert not (scenario / "P2.nc").exists() and not (scenario.parent / "P2.nc").exists()
