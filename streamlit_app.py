"""Entry point: one server for the pages and the HTTP API.

``streamlit run streamlit_app.py`` finds ``app`` below (an ``st.App``) and serves it with
uvicorn: the pages, and the FastAPI app of ``api.py`` mounted at ``/api/v1`` (docs/api.md).
For every page view Streamlit then runs this same file as ``__main__``, and there it is the
router only; the pages live in ui/app_pages/ (docs/ui.md).
"""

import streamlit as st

PAGES = (  # (file and URL path, title label, Material icon); the first is the default
    ("home", "page_home", "home"),
    ("scenarios", "page_scenarios", "folder_open"),
    ("editor", "page_editor", "edit"),
    ("optimize", "page_optimize", "rocket_launch"),
    ("results", "page_results", "fact_check"),
    ("jobs", "page_jobs", "list_alt"),
)

if __name__ == "__main__":
    from ui import state, widgets
    from ui.i18n import t

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
    # Our own links in the sidebar (widgets.render_sidebar) carry the scenario and the
    # language in their query string, which Streamlit's own menu drops.
    page = st.navigation(pages, position="hidden")
    state.sync_url()  # a refresh or a bookmark keeps the scenario and the language
    slot = widgets.render_sidebar(pages)  # after st.navigation: links resolve to its pages
    page.run()
    widgets.render_after_page(slot)
else:
    # Imported by uvicorn (``streamlit run`` hands it ``streamlit_app:app``): build the server.
    # Not on page runs, where the API would be rebuilt for nothing on every rerun.
    from starlette.routing import Mount

    import api

    api.nodelay_listeners()  # the listener is bound by now; see the function for why
    app = st.App(__file__, routes=[Mount(api.PREFIX, app=api.create_app())])
