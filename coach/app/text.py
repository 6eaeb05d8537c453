"""User text on a page as text, never as Markdown.

Streamlit reads Markdown (and its own :color[...] and :material/...: directives) in st.markdown,
st.caption, st.write, the message boxes, titles, metric labels and values and widget labels. A
person, session or exercise name such as `![x](http://elsewhere/x.png)` made the browser fetch
that address, and a name became a live link. Every such place passes user text (names, file
names, exercise descriptions, error messages that quote them) through `plain`.
"""

from __future__ import annotations

import string

# CommonMark shows a backslash-escaped ASCII punctuation mark as itself, whatever it would mean.
PUNCTUATION = frozenset(string.punctuation)


def plain(text) -> str:
    """`text` with every ASCII punctuation mark escaped, so that Markdown shows it as it is."""
    return "".join(f"\\{c}" if c in PUNCTUATION else c for c in str(text))
