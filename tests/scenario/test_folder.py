"""Scenario folders: create from the template, duplicate, names, load."""

from __future__ import annotations

import pytest

from ncopt.errors import ScenarioFolderError
from ncopt.machine import Machine
from ncopt.scenario import (
    Settings,
    create_scenario,
    list_program_files,
    load_scenario,
    scenario_xlsx_path,
)
from tests.scenario.helpers import PROGRAM_TEXT, make_sample


def test_new_scenario_from_the_template_loads_with_defaults(tmp_path):
    folder = create_scenario(tmp_path, "dept", "new")
    assert folder == (tmp_path / "dept" / "scenario" / "new").resolve()
    assert scenario_xlsx_path(folder).is_file() and (folder / "programs").is_dir()
    scenario = load_scenario(folder)
    assert (scenario.name, scenario.department) == ("new", "dept")
    assert scenario.machine == Machine() and scenario.settings == Settings()
    assert scenario.tools == () and scenario.programs == ()
    assert [p.name for p in folder.parent.iterdir()] == ["new"]  # no staging dir left


def test_sample_loads_typed_and_frozen(tmp_path):
    scenario = load_scenario(make_sample(tmp_path))
    assert scenario.tool(2).diameter_mm == 6.8 and scenario.tool(9) is None
    assert [p.file for p in scenario.enabled_programs] == ["P1.nc"]
    assert scenario.program_path("P1.nc").read_text() == PROGRAM_TEXT["P1.nc"]
    with pytest.raises(AttributeError):
        scenario.name = "other"  # type: ignore[misc]


def test_duplicate_copies_spreadsheet_and_programs(tmp_path):
    source = make_sample(tmp_path)
    copy = create_scenario(tmp_path, "other-dept", "copy", template=source)
    assert list_program_files(copy) == ["P1.nc", "P2.nc"]
    assert load_scenario(copy).programs == load_scenario(source).programs


def test_create_from_an_xlsx_template(tmp_path):
    source = make_sample(tmp_path)
    folder = create_scenario(tmp_path, "dept", "from-file", template=scenario_xlsx_path(source))
    assert scenario_xlsx_path(folder).read_bytes() == scenario_xlsx_path(source).read_bytes()
    assert list_program_files(folder) == []


def test_existing_scenario_is_refused_and_left_alone(tmp_path):
    folder = make_sample(tmp_path)
    before = scenario_xlsx_path(folder).read_bytes()
    with pytest.raises(ScenarioFolderError, match="already exists"):
        create_scenario(tmp_path, "dept", "sample")
    assert scenario_xlsx_path(folder).read_bytes() == before


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "..", "a..b", "x\0y", "a b", "é" * 101])
def test_unsafe_names_are_refused(tmp_path, name):
    with pytest.raises(ScenarioFolderError):
        create_scenario(tmp_path, "dept", name)
    with pytest.raises(ScenarioFolderError):
        create_scenario(tmp_path, name, "ok")
    assert not any(tmp_path.rglob("ok"))


def test_cjk_names_are_allowed(tmp_path):
    folder = create_scenario(tmp_path, "加工二課", "模具板_A-1")
    assert load_scenario(folder).department == "加工二課"


def test_list_program_files_skips_hidden_files_and_folders(tmp_path):
    folder = make_sample(tmp_path)
    (folder / "programs" / ".P3.nc.tmp").write_text("partial upload")
    (folder / "programs" / "old").mkdir()
    assert list_program_files(folder) == ["P1.nc", "P2.nc"]
    assert list_program_files(tmp_path / "nowhere") == []
