"""The Streamlit app's pages and widgets. Only this package imports streamlit."""
