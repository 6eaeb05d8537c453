"""Uploaded files in the server's memory: how much one browser session may hold at once, and
letting go of the ones no widget shows any more.

Streamlit keeps every upload (its MemoryUploadedFileManager) until the session ends and limits
only each file's size, so a client uploading under new file ids could fill the server's memory
(four 190 MB uploads: 390 MB to 1.15 GB). UploadCap refuses an upload that would take a session
past its share before its body is read; `keep_only` frees the uploads a session's uploader no longer shows.
"""

from __future__ import annotations

from collections import defaultdict

UPLOAD_PATH = "/_stcore/upload_file/"
STRAY = "uploads-stray"  # session state: the uploads the last run found no widget showing


def held_bytes(session_id: str, except_file: str | None = None) -> int:
    """The bytes of the uploads `session_id` holds (the one `except_file` would replace aside)."""
    from streamlit import runtime

    manager = runtime.get_instance().uploaded_file_mgr
    files = manager.file_storage.get(session_id, {})  # MemoryUploadedFileManager's own record
    return sum(len(f.data) for file_id, f in list(files.items()) if file_id != except_file)


def keep_only(*uploads) -> None:
    """Free this session's uploads other than `uploads` (the files its uploader shows now): a
    replaced video, or anything uploaded under an id no widget asked for. A file that arrived a
    moment ago may not be its uploader's value yet (the browser sends that next): a file goes when
    a second run in a row finds it stray."""
    import streamlit as st
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    session_id = get_script_run_ctx().session_id
    manager = runtime.get_instance().uploaded_file_mgr
    stray = set(manager.file_storage.get(session_id, {})) - {u.file_id for u in uploads if u is not None}
    for file_id in stray & st.session_state.get(STRAY, set()):
        manager.remove_file(session_id, file_id)
    st.session_state[STRAY] = stray


class UploadCap:
    """ASGI middleware: an upload must say its length, and is refused (413) when the session's
    uploads, this one and those still arriving would hold more than `limit_bytes`."""

    def __init__(self, app, limit_bytes: int):
        self.app = app
        self.limit_bytes = limit_bytes
        self.arriving: dict[str, int] = defaultdict(int)  # session id: bytes of uploads under way

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "PUT" or UPLOAD_PATH not in path:
            return await self.app(scope, receive, send)
        session_id, _, file_id = path.split(UPLOAD_PATH, 1)[1].partition("/")
        length = dict(scope["headers"]).get(b"content-length", b"")
        if not length.isdigit():
            return await answer(send, 411, "An upload must give its Content-Length.")
        length = int(length)
        if held_bytes(session_id, file_id) + self.arriving[session_id] + length > self.limit_bytes:
            return await answer(send, 413, f"This page holds {self.limit_bytes // 2**20} MB of uploads at most: "
                                           "remove a file first.")
        self.arriving[session_id] += length
        try:
            await self.app(scope, receive, send)
        finally:
            self.arriving[session_id] -= length
            if not self.arriving[session_id]:
                del self.arriving[session_id]


async def answer(send, status: int, text: str):
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
