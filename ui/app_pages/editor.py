"""Editor: the scenario's sheets as editable tables with their validation messages, NC
program upload (size-capped, parse-checked) and a toolpath preview."""

import streamlit as st

from jobstore import scenario_dir
from ui import editing, state, widgets
from ui.i18n import t
from ui.plain import md_text

st.title(t("page_editor"))
chosen = widgets.require_scenario()
if chosen:
    dept, scen = chosen
    folder = scenario_dir(dept, scen)
    st.caption(md_text(f"{dept} / {scen}"))
    state.show_flash()
    editing.render_sheets(folder, f"{dept}/{scen}")
    st.divider()
    editing.render_upload(folder)
    st.divider()
    editing.render_preview(folder)
