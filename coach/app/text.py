"""User text on a page as text, never as Markdown.

Streamlit reads Markdown (and its own :color[...] and :material/...: directives) in st.markdown,
st.caption, st.write, the message boxes, titles, metric labels and values and widget labels. A
person, session or exercise name such as `![x](http://elsewhere/x.png)` made the browser fetch
that address, and a name became a live link. Every such place passes user text (names, file
names, exercise descriptions, error messages that quote them) through `plain`.
"""

from __future__ import annotations

import re
import string

# CommonMark shows a backslash-escaped ASCII punctuation mark as itself, whatever it would mean.
PUNCTUATION = frozenset(string.punctuation)
# GFM makes a link of an address or e-mail address in the text itself, escaped or not (it looks
# for them after parsing): an invisible word joiner after "http:" or "www", and before "@", leaves
# nothing for it to find.
AUTOLINK = re.compile(r"(?i)(?<=https:)(?=//)|(?<=http:)(?=//)|(?<=www)(?=\.)|(?=@)")
WORD_JOINER = "\u2060"


def plain(text) -> str:
    """`text` as Markdown shows it as it is: its punctuation escaped, no address left to link."""
    text = AUTOLINK.sub(WORD_JOINER, str(text))
    return "".join(f"\\{c}" if c in PUNCTUATION else c for c in text)
