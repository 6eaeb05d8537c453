"""`coach app`: start the Streamlit app on this machine (127.0.0.1 unless told otherwise)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from coach import paths
from coach.app import access, https, settings
from coach.errors import InputError

ENTRY = Path(__file__).resolve().parents[1] / "app" / "serve.py"


def add_parser(sub):
    parser = sub.add_parser("app", help="start the web app: live workout, video analysis, history, exercises")
    parser.add_argument("--port", type=int, default=8501, help="port to serve on (default: 8501)")
    parser.add_argument("--host",
                        help="address to listen on (default: 127.0.0.1, or every address with --https)")
    parser.add_argument("--https", action="store_true",
                        help="serve over HTTPS with a self-signed certificate kept in the data folder, so that "
                             "a phone on this network can be the camera (the page shows its address and a QR code)")
    parser.add_argument("--db", help="history database: a SQLite file or a SQLAlchemy URL (sets COACH_DB)")
    parser.add_argument("--ice-servers",
                        help='WebRTC ICE servers as JSON, e.g. \'[{"urls": "stun:stun.example.org:3478"}]\', '
                             "for a camera on another network (sets COACH_ICE_SERVERS; none are needed on localhost)")
    parser.add_argument("--password",
                        help="a fixed access key of 8 characters or more instead of the one coach makes in the data "
                             "folder (COACH_PASSWORD does the same, out of the process list); asked for only when the "
                             "app listens beyond this machine")
    parser.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                        help="another name the app may be reached by (a proxy's, a tunnel's); it always answers to "
                             "localhost and this machine's own names and addresses. Repeat for several")
    parser.set_defaults(run=run)


def run(args) -> int:
    if not 0 < args.port < 65536:
        raise InputError(f"--port must be between 1 and 65535, got {args.port}")
    host = args.host or ("0.0.0.0" if args.https else "127.0.0.1")
    check_free(host, args.port)
    max_upload_mb = settings.max_upload_mb()  # the settings checked now, not on the first page
    settings.ice_servers(args.ice_servers)
    env = dict(os.environ)
    env[access.HOSTS_ENV] = ",".join(access.served_hosts(host, args.allow_host))
    env.pop(access.KEY_ENV, None)
    secret = None
    if not access.is_loopback(host):  # anyone on the network could connect: only those given the key
        secret = env[access.KEY_ENV] = access.access_key(paths.data_dir(), args.password)
    if args.db:
        env["COACH_DB"] = args.db
    if args.ice_servers:
        env["COACH_ICE_SERVERS"] = args.ice_servers
    command = streamlit_command(host, args.port, max_upload_mb)
    scheme = "https" if args.https else "http"
    # Another device opens this machine's address on the network (which the certificate must name).
    address = https.lan_ip() if host in ("0.0.0.0", "::") else host
    opened = f"{scheme}://{address}:{args.port}"
    if secret:
        opened = access.with_key(opened, secret)
    if args.https:
        cert, key = https.certificate(paths.data_dir() / "https", address)
        command += [f"--server.sslCertFile={cert}", f"--server.sslKeyFile={key}"]
        env[https.PHONE_URL_ENV] = opened
        print(f"coach app: a phone on this network opens {opened}", file=sys.stderr)
    print(f"coach app: {scheme}://{host}:{args.port}  (Ctrl-C stops it)", file=sys.stderr)
    if secret:
        print(f"coach app: every browser needs the access key that {opened} carries (kept in the data folder's "
              f"{access.KEY_FILE} unless --password or {access.PASSWORD_ENV} gives one)", file=sys.stderr)
    server = subprocess.Popen(command, env=env)

    def stop(signum, frame):
        server.terminate()  # SIGTERM (a service manager, `kill`) or SIGHUP stops the server too

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    try:
        server.wait()
    except KeyboardInterrupt:  # Ctrl-C reached the server too: let it finish
        server.wait()
    return 0 if server.returncode in (0, -signal.SIGTERM, -signal.SIGINT) else server.returncode


def streamlit_command(host: str, port: int, max_upload_mb: int) -> list[str]:
    """`streamlit run` on the app (with a bounded stop, see coach.app.launch), headless, with no
    telemetry and no file watching, and the same upload limit as the app's pages (Streamlit's own
    would refuse larger files with 413)."""
    return [
        sys.executable, "-m", "coach.app.launch", "run", str(ENTRY),
        f"--server.address={host}",
        f"--server.port={port}",
        f"--server.maxUploadSize={max_upload_mb}",
        "--server.headless=true",
        "--server.fileWatcherType=none",
        "--server.runOnSave=false",
        "--browser.gatherUsageStats=false",
        f"--browser.serverAddress={host}",
        "--client.toolbarMode=minimal",
        "--theme.base=light",
    ]


def check_free(host: str, port: int):
    """A clear error now rather than Streamlit's own after it has started."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As the server will: a port with only TIME_WAIT sockets left from the last run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise InputError(f"cannot serve on {host}:{port}: {error.strerror or error} (try --port)") from None
