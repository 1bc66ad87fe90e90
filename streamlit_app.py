"""Entry point: the router only. Pages live in ui/app_pages/ (see docs/ui.md)."""

import streamlit as st

from ui import state, widgets
from ui.i18n import t

st.set_page_config(page_title="NC Optimizer", page_icon="⚙️", layout="wide")
state.init_state()
widgets.render_sidebar()

pages = [
    st.Page(
        "ui/app_pages/scenarios.py", title=t("page_scenarios"), url_path="scenarios", default=True
    ),
    st.Page("ui/app_pages/editor.py", title=t("page_editor"), url_path="editor"),
    st.Page("ui/app_pages/optimize.py", title=t("page_optimize"), url_path="optimize"),
    st.Page("ui/app_pages/results.py", title=t("page_results"), url_path="results"),
    st.Page("ui/app_pages/jobs.py", title=t("page_jobs"), url_path="jobs"),
]
st.navigation(pages).run()
