"""Scenario spreadsheets: ``<scenario>.xlsx`` with sheets machine, tools, programs, settings.

The format for the shop's engineers is in docs/scenarios.md. Reading and validating are
separate so the editor can validate what is on screen before saving:

- ``read_sheets(xlsx) -> {sheet: DataFrame}`` and ``write_sheets(xlsx, sheets)`` (atomic);
- ``validate_sheets(sheets, programs_dir) -> [ScenarioIssue]``: every problem, with sheet,
  Excel row and column header;
- ``load_scenario(folder) -> Scenario`` (frozen) or ``ScenarioError`` with all issues;
- ``create_scenario(data_dir, department, name, template=None) -> folder``.
"""

from ncopt.scenario.editor import editor_sheets
from ncopt.scenario.folder import (
    MAX_PROGRAM_BYTES,
    PROGRAMS_DIR,
    REPLACED_DIR,
    TEMPLATE_XLSX,
    ProgramExistsError,
    SavedProgram,
    Scenario,
    create_scenario,
    delete_scenario_folder,
    list_program_files,
    load_scenario,
    rename_scenario_folder,
    save_program,
    scenario_xlsx_path,
)
from ncopt.scenario.schema import (
    EXTRA_SETTING_KEYS,
    SETTING_DESCRIPTIONS,
    SETTING_KEYS,
    SHEETS,
    ColumnKind,
    ColumnSpec,
    ProgramEntry,
    Settings,
    SheetName,
    SheetSpec,
    Tool,
    ToolType,
    sheet_spec,
    template_sheets,
    webhook_urls,
)
from ncopt.scenario.validate import check_sheets, program_tools, validate_sheets
from ncopt.scenario.workbook import (
    WORKBOOK,
    read_sheets,
    typed_text,
    write_bytes_atomic,
    write_sheets,
)

__all__ = [
    "EXTRA_SETTING_KEYS",
    "MAX_PROGRAM_BYTES",
    "PROGRAMS_DIR",
    "REPLACED_DIR",
    "SETTING_DESCRIPTIONS",
    "SETTING_KEYS",
    "SHEETS",
    "TEMPLATE_XLSX",
    "WORKBOOK",
    "ColumnKind",
    "ColumnSpec",
    "ProgramEntry",
    "ProgramExistsError",
    "SavedProgram",
    "Scenario",
    "Settings",
    "SheetName",
    "SheetSpec",
    "Tool",
    "ToolType",
    "check_sheets",
    "create_scenario",
    "delete_scenario_folder",
    "editor_sheets",
    "list_program_files",
    "load_scenario",
    "program_tools",
    "read_sheets",
    "rename_scenario_folder",
    "save_program",
    "scenario_xlsx_path",
    "sheet_spec",
    "template_sheets",
    "typed_text",
    "validate_sheets",
    "webhook_urls",
    "write_bytes_atomic",
    "write_sheets",
]
