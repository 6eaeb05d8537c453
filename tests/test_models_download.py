"""Model lookup and the real download code, against a local HTTP server that mirrors TF Hub's paths."""

import http.server
import shutil
import tarfile
import threading
from functools import partial
from pathlib import Path

import pytest

from coach.errors import ModelError
from coach.pose import load_model
from coach.pose.models import VARIANTS, resolve

INT8_PATH = "google/lite-model/movenet/singlepose/lightning/tflite/int8/4"
HUB_PATH = "google/movenet/singlepose/lightning/4"
MULTIPOSE_PATH = "google/movenet/multipose/lightning/1"


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class TruncatingHandler(Handler):
    """Promises the whole file, sends half of it, and hangs up: an interrupted download."""

    def do_GET(self):
        body = (Path(self.directory) / self.path.split("?")[0].lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])


@pytest.fixture(scope="module")
def mirror_files(tmp_path_factory, models_dir):
    """What a TF Hub mirror holds: the int8 TFLite, MultiPose and the Lightning SavedModel archive.
    Made once: gzipping the SavedModel takes seconds."""
    root = tmp_path_factory.mktemp("mirror")
    (root / INT8_PATH).parent.mkdir(parents=True)
    (root / INT8_PATH).write_bytes((models_dir / "movenet_lightning_int8.tflite").read_bytes())
    (root / MULTIPOSE_PATH).parent.mkdir(parents=True, exist_ok=True)
    (root / MULTIPOSE_PATH).write_bytes((models_dir / "movenet_multipose_lightning_fp16.tflite").read_bytes())
    (root / HUB_PATH).parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(root / HUB_PATH, "w:gz") as archive:
        for item in (models_dir / "movenet_lightning_savedmodel").iterdir():
            archive.add(item, arcname=item.name)
    return root


@pytest.fixture
def mirror(mirror_files, tmp_path, monkeypatch):
    """`mirror(handler) -> cache`: a TF Hub mirror on 127.0.0.1 (a copy of mirror_files under
    tmp_path/mirror, which a test may spoil) and the empty model cache coach downloads into."""
    root = shutil.copytree(mirror_files, tmp_path / "mirror")
    cache = tmp_path / "cache"
    monkeypatch.setenv("COACH_MODEL_DIR", str(tmp_path / "no-models"))  # not the checkout's ../shared/models
    monkeypatch.setenv("COACH_CACHE_DIR", str(cache))

    def serve(handler=Handler):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        monkeypatch.setenv("COACH_MODEL_MIRROR", f"http://127.0.0.1:{server.server_port}/")
        servers.append(server)
        return cache

    servers = []
    yield serve
    for server in servers:
        server.shutdown()


def test_tflite_downloads_into_the_cache_and_runs(mirror):
    cache = mirror()
    model = load_model("lightning-int8")
    assert model.path == cache / "movenet_lightning_int8.tflite"
    assert model.input_size == 192
    # The second time it comes from the cache, with no server at all.
    variant, path = resolve("lightning-int8")
    assert path == cache / "movenet_lightning_int8.tflite"
    assert [p.name for p in cache.iterdir()] == ["movenet_lightning_int8.tflite"]


def test_multipose_downloads_from_its_tf_hub_address_checked_and_runs(mirror):
    from coach.pose.multipose import MultiPoseModel

    cache = mirror()
    model = MultiPoseModel("multipose")
    assert model.path == cache / "movenet_multipose_lightning_fp16.tflite"
    assert model.input_size == 256
    assert resolve("multipose")[1] == model.path
    # The single-pose loader refuses it with a line that says where it belongs.
    with pytest.raises(ModelError, match="several people"):
        load_model("multipose")


def test_savedmodel_archive_downloads_unpacks_and_loads_through_tensorflow_hub(mirror):
    cache = mirror()
    model = load_model("lightning-hub")
    assert model.path == cache / "movenet_lightning_savedmodel"
    assert (model.path / "saved_model.pb").exists()
    assert model.input_size == 192


def test_an_interrupted_download_leaves_nothing_behind(mirror):
    cache = mirror(TruncatingHandler)
    with pytest.raises(ModelError, match="cannot download model 'lightning-int8'"):
        load_model("lightning-int8")
    assert list(cache.iterdir()) == []


def test_a_checksum_mismatch_is_refused_and_leaves_nothing_behind(mirror, tmp_path):
    cache = mirror()
    (tmp_path / "mirror" / INT8_PATH).write_bytes(b"definitely not the int8 model")
    with pytest.raises(ModelError, match="sha256"):
        load_model("lightning-int8")
    assert list(cache.iterdir()) == []


def test_offline_the_error_says_which_file_to_put_where(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_MODEL_DIR", str(tmp_path / "no-models"))
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "cache"))
    # A port on 127.0.0.1 that nothing listens on: a connection refused, like a machine offline.
    monkeypatch.setenv("COACH_MODEL_MIRROR", "http://127.0.0.1:9/")
    with pytest.raises(ModelError) as error:
        load_model("thunder")
    message = str(error.value)
    assert "movenet_thunder_fp16.tflite" in message
    assert str(tmp_path / "cache") in message
    assert "COACH_MODEL_DIR" in message


def test_a_checkout_finds_the_models_in_shared_beside_it_with_no_setting(models_dir, monkeypatch):
    """The README's `.venv/bin/coach analyze ...` works as written: no COACH_MODEL_DIR needed."""
    monkeypatch.delenv("COACH_MODEL_DIR")
    monkeypatch.setenv("COACH_CACHE_DIR", "/nonexistent")
    assert resolve("lightning")[1] == Path(__file__).resolve().parents[2] / "shared" / "models" / VARIANTS["lightning"].file


def test_model_dir_names_match_the_shared_folder(models_dir):
    for variant in VARIANTS.values():
        assert (models_dir / variant.file).exists(), variant.file
