"""Who may use the app: only requests addressed to this machine, and, when it listens beyond
loopback, only browsers that know its access key.

Gate is ASGI middleware in front of all of Streamlit (coach.app.serve installs it through
st.App): pages, the websocket that carries every widget and streamlit-webrtc's signalling,
uploads, media, health and static files all pass through it. A check in the page script would
come too late: the websocket, uploads and media are served without running the script.

- Host: a request whose Host header is not one of the app's own names is refused on every path,
  and so is a websocket whose Origin is not: a page on another site whose name was made to point
  here (DNS rebinding) reaches nothing.
- The access key: `coach app` makes one on first run (the data folder's `access-key`, 0600) or
  takes --password / COACH_PASSWORD. The address it prints and the sidebar's QR code carry it as
  `?key=...`; the first visit sets a cookie and reloads the page without the key, so the browser
  remembers it and the address bar does not show it. Loopback only (the default): no key.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
import socket
from html import escape
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from coach.app import private
from coach.errors import InputError

KEY_ENV = "COACH_ACCESS_KEY"  # what `coach app` gives the server: the key, or nothing when on loopback
HOSTS_ENV = "COACH_ALLOWED_HOSTS"  # the names it serves, comma-separated
PASSWORD_ENV = "COACH_PASSWORD"  # the user's fixed key
KEY_FILE = "access-key"
QUERY = "key"
COOKIE = "coach-access"
COOKIE_AGE_S = 365 * 24 * 3600
MIN_PASSWORD = 8
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(address: str) -> bool:
    if address.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False  # a name, or every address (0.0.0.0, ::)


def access_key(folder: Path, password: str | None = None) -> str:
    """--password, else COACH_PASSWORD, else the key kept in `folder`, made on first use."""
    fixed = password if password is not None else os.environ.get(PASSWORD_ENV)
    if fixed is not None:
        if len(fixed) < MIN_PASSWORD or any(c.isspace() for c in fixed):
            raise InputError(f"--password/{PASSWORD_ENV} must be at least {MIN_PASSWORD} characters, no spaces")
        return fixed
    path = folder / KEY_FILE
    kept = private.read(path)
    if kept is None:
        kept = secrets.token_urlsafe(16).encode()
        private.write(path, kept)
    key = kept.decode("ascii", errors="replace").strip()
    if len(key) < MIN_PASSWORD or any(c.isspace() for c in key):
        raise InputError(f"{path}: not an access key (delete it: coach app makes a new one)")
    return key


def served_hosts(address: str, allowed: list[str]) -> list[str]:
    """The names a request may address the app by: loopback, this machine's name and addresses,
    the address it listens on and the names given with --allow-host."""
    from coach.app.https import lan_ip

    names = {*LOOPBACK_NAMES, socket.gethostname(), socket.getfqdn(), lan_ip(), *allowed}
    if address not in ("0.0.0.0", "::"):
        names.add(address)
    try:
        names.update(info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None))
    except OSError:
        pass  # a machine whose own name does not resolve
    return sorted(host_name(n) for n in names if n)


def with_key(url: str, key: str) -> str:
    return f"{url}/?{QUERY}={quote(key, safe='')}"


def host_name(host: str) -> str:
    """The name in a Host header or an address: no port, no brackets, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":")[0]
    return host.rstrip(".")


def from_environment() -> dict:
    """The Gate's settings as `coach app` passed them to the server."""
    hosts = [h for h in os.environ.get(HOSTS_ENV, "").split(",") if h]
    return {"key": os.environ.get(KEY_ENV) or None, "hosts": hosts or list(LOOPBACK_NAMES)}


class Gate:
    """ASGI middleware: refuses what is not addressed to this machine, and what does not carry
    the key (as ?key= or the cookie its first use set) when there is one."""

    def __init__(self, app, key: str | None, hosts: list[str]):
        self.app = app
        self.key = key
        self.hosts = {host_name(h) for h in hosts}
        self.cookie = hmac.new(key.encode(), b"coach access cookie", hashlib.sha256).hexdigest() if key else None

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)  # lifespan
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        if not self.known(headers.get("host", "")):
            return await refuse(scope, send, 421, "Unknown address",
                                "This app answers only to its own addresses. To reach it by this name, start it "
                                "with <code>coach app --allow-host NAME</code>.")
        origin = headers.get("origin")
        if scope["type"] == "websocket" and origin is not None and not self.known(urlsplit(origin).netloc):
            return await refuse(scope, send, 403, "Unknown origin", "A page from another site cannot use this app.")
        if self.key is None:
            return await self.app(scope, receive, send)
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = [value for name, value in query if name == QUERY]
        if given and not hmac.compare_digest(given[-1].encode(), self.key.encode()):
            return await refuse(scope, send, 403, "Wrong access key",
                                "The key in this address is not this app's. Open the address <code>coach app</code> "
                                "printed when it started, or scan the QR code in the sidebar of a browser already let in.")
        if given and scope["type"] == "http" and scope["method"] == "GET" and "text/html" in headers.get("accept", ""):
            # A page opened with the key: remember it and show the address without it.
            rest = urlencode([(name, value) for name, value in query if name != QUERY])
            # The path as it came (still %-encoded), never //name, which a browser reads as another site.
            path = "/" + (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").lstrip("/")
            return await self.let_in(scope, send, path + (f"?{rest}" if rest else ""))
        if given or self.remembered(headers.get("cookie", "")):
            return await self.app(scope, receive, send)
        return await refuse(scope, send, 401, "Access key needed",
                            "This coach app is open to the network, so it asks for its access key. Open the address "
                            "<code>coach app</code> printed when it started (it ends in <code>?key=...</code>), "
                            "or scan the QR code in the sidebar of a browser already let in.")

    def known(self, host: str) -> bool:
        name = host_name(host)
        return name in self.hosts or is_loopback(name)

    def remembered(self, cookies: str) -> bool:
        for part in cookies.split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and hmac.compare_digest(value.encode(), self.cookie.encode()):
                return True
        return False

    async def let_in(self, scope, send, location: str):
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = f"{COOKIE}={self.cookie}; Path=/; Max-Age={COOKIE_AGE_S}; HttpOnly; SameSite=Lax{secure}"
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location.encode("latin-1")), (b"set-cookie", cookie.encode()),
                                (b"cache-control", b"no-store"), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


async def refuse(scope, send, status: int, title: str, text: str):
    """A plain page saying why (a websocket is closed before it opens: the browser sees 403)."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = PAGE.format(title=escape(title), text=text).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>coach: {title}</title>
<style>body {{ font: 1.1rem/1.5 system-ui, sans-serif; max-width: 36rem; margin: 15vh auto; padding: 0 1.5rem;
color: #262730; }} h1 {{ font-size: 1.6rem; }} code {{ background: #f0f2f6; padding: 0 0.25em; }}</style></head>
<body><h1>{title}</h1><p>{text}</p></body></html>
"""
