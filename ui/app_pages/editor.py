"""Editor: the scenario's sheets as tables (edits kept until saved or discarded), every
problem at once, the NC programs (upload, text, toolpath, delete) and the spreadsheet file."""

import streamlit as st

from jobstore import scenario_dir
from ui import editing, loads, sheet_editor, state, widgets
from ui.i18n import t

st.title(t("page_editor"))
chosen = widgets.require_scenario()
if chosen:
    dept, scen = chosen
    folder = scenario_dir(dept, scen)
    scope = f"{dept}/{scen}"
    widgets.scenario_caption(dept, scen)
    state.show_flash()
    draft = sheet_editor.render_sheets(folder, scope)
    if draft is not None:
        issues = loads.validate(draft.current, folder)
        sheet_editor.render_save_bar(folder, scope, draft, issues)
    st.subheader(t("programs_heading"))
    editing.render_upload(folder, scope, draft)
    editing.render_programs(folder, scope, draft)
    with st.expander(t("sheet_file"), icon=":material/table_view:"):
        editing.render_workbook_file(folder, scope)
