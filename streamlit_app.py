"""Entry point: one server for the pages and the HTTP API.

``streamlit run streamlit_app.py`` finds ``app`` below (an ``st.App``) and serves it with
uvicorn: the pages, and the FastAPI app of ``api.py`` mounted at ``/api/v1`` (docs/api.md).
For every page view Streamlit then runs this same file as ``__main__``, and there it is the
router only; the pages live in ui/app_pages/ (docs/ui.md).
"""

import streamlit as st

if __name__ == "__main__":
    from ui import state, widgets
    from ui.i18n import t

    st.set_page_config(page_title="NC Optimizer", page_icon="⚙️", layout="wide")
    state.init_state()
    widgets.render_sidebar()

    pages = [
        st.Page(
            "ui/app_pages/scenarios.py",
            title=t("page_scenarios"),
            url_path="scenarios",
            default=True,
        ),
        st.Page("ui/app_pages/editor.py", title=t("page_editor"), url_path="editor"),
        st.Page("ui/app_pages/optimize.py", title=t("page_optimize"), url_path="optimize"),
        st.Page("ui/app_pages/results.py", title=t("page_results"), url_path="results"),
        st.Page("ui/app_pages/jobs.py", title=t("page_jobs"), url_path="jobs"),
    ]
    st.navigation(pages).run()
else:
    # Imported by uvicorn (``streamlit run`` hands it ``streamlit_app:app``): build the server.
    # Not on page runs, where the API would be rebuilt for nothing on every rerun.
    from starlette.routing import Mount

    import api

    api.nodelay_listeners()  # the listener is bound by now; see the function for why
    app = st.App(__file__, routes=[Mount(api.PREFIX, app=api.create_app())])
