"""The first page: what the app is, what to do next, and where the chosen scenario stands."""

from ui import home_view

home_view.render()
