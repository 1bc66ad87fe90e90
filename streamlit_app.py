"""Entry point: routes to the pages in ui/app_pages/ (the UI issue fills these in)."""

import streamlit as st

st.set_page_config(page_title="NC Optimizer", layout="wide")
st.title("NC Optimizer")
st.write("Scenarios live in the data directory; the pages arrive with the UI issue.")
