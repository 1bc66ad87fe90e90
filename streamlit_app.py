"""Entry point: the router only. Pages live in ui/app_pages/ (see docs/ui.md)."""

import streamlit as st

from ui import state, widgets
from ui.i18n import t

PAGES = (  # (file and URL path, title label, Material icon); the first is the default
    ("home", "page_home", "home"),
    ("scenarios", "page_scenarios", "folder_open"),
    ("editor", "page_editor", "edit"),
    ("optimize", "page_optimize", "rocket_launch"),
    ("results", "page_results", "fact_check"),
    ("jobs", "page_jobs", "list_alt"),
)

st.set_page_config(page_title="NC Optimizer", page_icon="⚙️", layout="wide")
state.init_state()
pages = [
    st.Page(
        f"ui/app_pages/{name}.py",
        title=t(label),
        url_path=name,
        icon=f":material/{icon}:",
        default=index == 0,
    )
    for index, (name, label, icon) in enumerate(PAGES)
]
# Our own links in the sidebar (widgets.render_sidebar) carry the scenario and the language
# in their query string, which Streamlit's own menu drops.
page = st.navigation(pages, position="hidden")
state.sync_url()  # a refresh or a bookmark keeps the scenario and the language
slot = widgets.render_sidebar(pages)  # after st.navigation: links resolve to its pages
page.run()
widgets.render_after_page(slot)
