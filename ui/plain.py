"""User text (names, NC comments, tool names, error messages) through Streamlit's Markdown
elements, shown as the text it is.

``st.error``, ``st.caption``, ``st.write``, widget labels and the like render Markdown: a tool
named ``**x**`` would show bold and ``[link](https://…)`` a link. CommonMark lets any ASCII
punctuation be escaped with a backslash, so escaping all of it shows every character as typed.

>>> print(md_text("**x** [a](b) my_scen_1"))
\\*\\*x\\*\\* \\[a\\]\\(b\\) my\\_scen\\_1
"""

from __future__ import annotations

import re
import string

__all__ = ["md_text"]

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


def md_text(value: object) -> str:
    """``value`` as text, every ASCII punctuation character escaped for Markdown."""
    return _PUNCTUATION.sub(r"\\\1", str(value))
