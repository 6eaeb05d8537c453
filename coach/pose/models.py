"""MoveNet variants: their names, where their files are found, and the download that fills the cache.

Lookup order for a variant: an explicit path; the folder named by COACH_MODEL_DIR (the file names of
`../shared/models`), by default ../shared/models in a checkout (`coach.paths.model_dir`); the
per-user cache; else a download from the variant's TF Hub address into the cache. COACH_MODEL_MIRROR
replaces `https://tfhub.dev/` for sites that mirror TF Hub.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from coach.errors import ModelError
from coach.paths import model_dir

log = logging.getLogger(__name__)

TFHUB = "https://tfhub.dev/"


@dataclass(frozen=True)
class Variant:
    """A MoveNet model as a user names it.

    file: the file or SavedModel folder name, in COACH_MODEL_DIR and in the cache.
    kind: "tflite" (runs on ai-edge-litert), "hub" (a SavedModel through tensorflow_hub), or
        "multipose" (MultiPose Lightning on ai-edge-litert: up to 6 people, coach.pose.multipose).
    url: the TF Hub address it downloads from; sha256 where the exact bytes are known.
    """

    name: str
    file: str
    kind: str
    input_size: int
    url: str
    sha256: str | None = None


VARIANTS = {
    v.name: v
    for v in [
        Variant("lightning", "movenet_lightning_fp16.tflite", "tflite", 192,
                TFHUB + "google/lite-model/movenet/singlepose/lightning/tflite/float16/4?lite-format=tflite"),
        Variant("thunder", "movenet_thunder_fp16.tflite", "tflite", 256,
                TFHUB + "google/lite-model/movenet/singlepose/thunder/tflite/float16/4?lite-format=tflite"),
        Variant("lightning-int8", "movenet_lightning_int8.tflite", "tflite", 192,
                TFHUB + "google/lite-model/movenet/singlepose/lightning/tflite/int8/4?lite-format=tflite",
                sha256="cd7cc22fa946e5d146a7b98d496853e1923e22828d3972d579973f27f91bb105"),
        Variant("lightning-hub", "movenet_lightning_savedmodel", "hub", 192,
                TFHUB + "google/movenet/singlepose/lightning/4?tf-hub-format=compressed"),
        Variant("thunder-hub", "movenet_thunder_savedmodel", "hub", 256,
                TFHUB + "google/movenet/singlepose/thunder/4?tf-hub-format=compressed"),
        # TF Hub serves this one as a SavedModel only; the file here is its TFLite conversion
        # (fixed 256 x 256 input), so a mirror must serve that file at this address.
        Variant("multipose", "movenet_multipose_lightning_fp16.tflite", "multipose", 256,
                TFHUB + "google/movenet/multipose/lightning/1?lite-format=tflite",
                sha256="e1d65f642c74f46b41322a6f7177b584b757991b9feb4f6576d36879c2bae871"),
    ]
}

# The names used in TensorFlow's MoveNet tutorial.
ALIASES = {
    "movenet_lightning": "lightning-hub",
    "movenet_thunder": "thunder-hub",
    "movenet_lightning.tflite": "lightning",
    "movenet_thunder.tflite": "thunder",
}


def cache_dir() -> Path:
    """The per-user model cache: COACH_CACHE_DIR, else $XDG_CACHE_HOME/coach/models."""
    if os.environ.get("COACH_CACHE_DIR"):
        return Path(os.environ["COACH_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "coach" / "models"


def variant_for(name: str) -> Variant | None:
    """The variant a user's name means, or None when the name is not one of ours."""
    return VARIANTS.get(ALIASES.get(name, name))


def valid_names() -> list[str]:
    return [*VARIANTS, *ALIASES]


def resolve(name: str) -> tuple[Variant, Path]:
    """The variant and the local file or folder for a model name or path, downloading if need be."""
    variant = variant_for(name)
    if variant is None:
        path = Path(name).expanduser()
        if path.exists():
            return variant_from_path(path), path
        raise ModelError(f"unknown model {name!r}: use one of {', '.join(valid_names())}, "
                         "or a path to a .tflite file or SavedModel folder")
    for folder in (model_dir(), cache_dir()):
        if folder is not None and (folder / variant.file).exists():
            return variant, folder / variant.file
    return variant, download(variant, cache_dir())


def variant_from_path(path: Path) -> Variant:
    """A variant for a user's own model file: its kind from the path, its input size read later."""
    if path.is_dir():
        if not (path / "saved_model.pb").exists():
            raise ModelError(f"{path} is a folder but not a SavedModel (no saved_model.pb in it)")
        kind = "hub"
    elif path.suffix == ".tflite":
        kind = "tflite"
    else:
        raise ModelError(f"{path} is neither a .tflite file nor a SavedModel folder")
    return Variant(path.name, path.name, kind, input_size=0, url="")


def download(variant: Variant, into: Path) -> Path:
    """Download a variant into the cache folder and return its path there.

    The bytes go to a temporary file beside the target and are moved into place only once complete
    and checked, so an interrupted download leaves nothing half-written behind.
    """
    url = variant.url
    mirror = os.environ.get("COACH_MODEL_MIRROR")
    if mirror:
        url = mirror.rstrip("/") + "/" + url.removeprefix(TFHUB)
    target = into / variant.file
    into.mkdir(parents=True, exist_ok=True)
    log.info("downloading %s from %s", variant.name, url)
    with tempfile.TemporaryDirectory(dir=into, prefix=".download-") as tmp:
        part = Path(tmp) / "part"
        try:
            fetch(url, part, variant.name)
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ModelError(
                f"cannot download model {variant.name!r} from {url} ({reason}); offline, put "
                f"{variant.file} in {into} or in the folder named by COACH_MODEL_DIR") from None
        if variant.sha256:
            digest = sha256_of(part)
            if digest != variant.sha256:
                raise ModelError(f"downloaded {variant.name!r} has sha256 {digest}, expected {variant.sha256}")
        if variant.kind == "hub":
            unpacked = Path(tmp) / "unpacked"
            try:
                with tarfile.open(part) as archive:
                    archive.extractall(unpacked, filter="data")
            except tarfile.TarError as error:
                raise ModelError(f"downloaded {variant.name!r} is not a SavedModel archive: {error}") from None
            part = unpacked
        # Another process may have finished the same download meanwhile: keep the first.
        if not target.exists():
            os.replace(part, target)
    return target


def fetch(url: str, dest: Path, label: str):
    """Copy a URL to a file with a progress bar, checking the size when the server gives one."""
    with urllib.request.urlopen(url, timeout=30) as response, open(dest, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {label}", leave=False) as bar:
            while chunk := response.read(1 << 16):
                out.write(chunk)
                bar.update(len(chunk))
    if total is not None and dest.stat().st_size != total:
        raise OSError(f"got {dest.stat().st_size} of {total} bytes")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
