"""Serving the app over HTTPS so that a phone on the same network can be the camera (a browser
gives the camera only to a secure page off localhost): a self-signed certificate kept in the data
folder, the address a phone opens, and a QR code of it.

`coach app --https` makes or reuses the certificate and passes the address to the page in
PHONE_URL_ENV; the page shows it with `show_phone_address()`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import io
import os
import socket
from pathlib import Path

from coach.app import private
from coach.app.text import plain

PHONE_URL_ENV = "COACH_PHONE_URL"
# A new certificate is made this long before the old one expires, so none expires mid-workout.
RENEW_BEFORE = dt.timedelta(days=7)
VALID_FOR = dt.timedelta(days=365)


def lan_ip() -> str:
    """This machine's address on the local network (the interface of its default route), or
    127.0.0.1 without one. Connecting a UDP socket sends nothing; it only picks the route."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def certificate(folder: Path, ip: str, now: dt.datetime | None = None) -> tuple[Path, Path]:
    """(cert.pem, key.pem) in `folder`: the ones there when they are still valid for a while and
    name `ip`, else a new self-signed pair for localhost, 127.0.0.1 and `ip`."""
    from cryptography import x509

    now = now or dt.datetime.now(dt.timezone.utc)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    # A key.pem that is a link is not one coach made: a new pair replaces it.
    if cert_path.is_file() and key_path.is_file() and not key_path.is_symlink():
        try:
            old = x509.load_pem_x509_certificate(cert_path.read_bytes())
            names = old.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            if old.not_valid_after_utc - RENEW_BEFORE > now and ipaddress.ip_address(ip) in names.get_values_for_type(
                    x509.IPAddress):
                return cert_path, key_path
        except (ValueError, x509.ExtensionNotFound):
            pass  # unreadable or not ours: make a new one
    cert, key = make_certificate(ip, now)
    private.write(key_path, key)  # 0600 even over an old 0644 key, and never through a link
    private.write(cert_path, cert)
    return cert_path, key_path


def make_certificate(ip: str, now: dt.datetime) -> tuple[bytes, bytes]:
    """A self-signed certificate and its private key, PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "coach app")])
    addresses = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address(ip)}
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + VALID_FOR)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")] +
                                                       [x509.IPAddress(a) for a in sorted(addresses)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def qr_png(url: str) -> bytes:
    """A QR code of `url`, PNG."""
    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


def show_phone_address() -> None:
    """On the page when served over HTTPS: the address a phone on this network opens, and its QR code."""
    url = os.environ.get(PHONE_URL_ENV)
    if not url:
        return
    import streamlit as st

    with st.sidebar:
        st.markdown(f"**Phone as the camera**: open [{plain(url)}]({url}) on a phone on this network "
                    "(accept the certificate warning once: coach made the certificate itself).")
        st.image(qr_png(url), caption=url, width=180)
