"""The pose pipeline on the real MoveNet models and the real clips in ../shared."""

import numpy as np
import pytest

from coach.errors import ModelError
from coach.pose import load_model
from coach.pose.movenet import PoseTracker, full_frame
from coach.pose.skeleton import Keypoint
from coach.sources import read_image, read_video
from coach.types import Frame

REFERENCE = {"lightning": "movenet_lightning_savedmodel", "thunder": "movenet_thunder_savedmodel"}
CLIPS = ["squat_side_3", "jumping_jacks_15", "glute_bridge_1", "no_exercise_balance"]


def reference_keypoints(signature, image, size):
    """The tutorial's way: tf.image.resize_with_pad, cast to int32, the SavedModel; back to pixels."""
    import tensorflow as tf

    height, width = image.shape[:2]
    batch = tf.cast(tf.image.resize_with_pad(tf.expand_dims(image, 0), size, size), tf.int32)
    yxs = signature(input=batch)["output_0"].numpy().reshape(17, 3)
    scale = size / max(width, height)
    resized_w, resized_h = int(width * scale), int(height * scale)
    pad_x, pad_y = (size - resized_w) // 2, (size - resized_h) // 2
    x = (yxs[:, 1] * size - pad_x) * width / resized_w
    y = (yxs[:, 0] * size - pad_y) * height / resized_h
    return np.stack([x, y, yxs[:, 2]], axis=1)


def distances_on_clips(clips_dir, predict, expect):
    """Distances between keypoints both sides see (score > 0.3), in pixels of a 640-wide frame."""
    distances = []
    for clip in CLIPS:
        for frame in list(read_video(clips_dir / f"{clip}.mp4"))[::20]:
            got, expected = predict(frame.image), expect(frame.image)
            seen = (expected[:, 2] > 0.3) & (got[:, 2] > 0.3)
            per_640 = 640 / max(frame.image.shape[:2])
            distances.extend(np.hypot(*(got[seen, :2] - expected[seen, :2]).T) * per_640)
    distances = np.array(distances)
    assert len(distances) > 500
    return distances


def summary(distances) -> str:
    return (f"on {len(distances)} keypoints: median {np.median(distances):.2f} px, "
            f"p95 {np.percentile(distances, 95):.2f} px, max {distances.max():.2f} px")


@pytest.mark.parametrize("variant", ["lightning", "thunder"])
def test_keypoints_agree_with_the_tutorials_reference_path(variant, models_dir, clips_dir):
    import tensorflow_hub as hub

    signature = hub.load(str(models_dir / REFERENCE[variant])).signatures["serving_default"]
    model = load_model(variant)
    distances = distances_on_clips(clips_dir, lambda image: model.predict(image).keypoints,
                                   lambda image: reference_keypoints(signature, image, model.input_size))
    print(f"{variant} vs tf.image.resize_with_pad + SavedModel {summary(distances)}")
    assert np.median(distances) < 1.0
    assert np.percentile(distances, 95) < 3.0


def test_int8_agrees_with_the_float_model_within_its_quantisation(clips_dir):
    # The int8 model's outputs move in steps of about 2.6 px of a 640-wide frame, and a change of
    # one grey level in the input can move a keypoint by a step or two.
    int8, fp16 = load_model("lightning-int8"), load_model("lightning")
    distances = distances_on_clips(clips_dir, lambda image: int8.predict(image).keypoints,
                                   lambda image: fp16.predict(image).keypoints)
    print(f"lightning-int8 vs lightning fp16 {summary(distances)}")
    assert np.median(distances) < 8.0
    assert np.percentile(distances, 95) < 25.0


def test_hub_variant_matches_the_tflite_variant(clips_dir):
    frame = next(iter(read_video(clips_dir / "squat_side_3.mp4")))
    tflite = load_model("lightning").predict(frame.image).keypoints
    savedmodel = load_model("movenet_lightning").predict(frame.image).keypoints
    assert np.abs(tflite[:, :2] - savedmodel[:, :2]).max() < 3.0


def test_astronaut_gives_a_plausible_upper_body(shared):
    image = read_image(shared / "data" / "images" / "astronaut.png")
    pose = load_model("lightning").predict(image)
    k = pose.keypoints
    assert pose.size == (image.shape[1], image.shape[0])
    for point in [Keypoint.nose, Keypoint.left_eye, Keypoint.right_eye, Keypoint.left_shoulder, Keypoint.right_shoulder]:
        assert k[point, 2] > 0.4, Keypoint(point).name
    assert k[Keypoint.nose, 1] < k[Keypoint.left_shoulder, 1]
    assert k[Keypoint.nose, 1] < k[Keypoint.right_shoulder, 1]
    # Mirror image: the person's left shoulder is on the right of the picture.
    assert k[Keypoint.left_shoulder, 0] > k[Keypoint.nose, 0] > k[Keypoint.right_shoulder, 0]


def test_unknown_model_lists_the_valid_names():
    with pytest.raises(ModelError) as error:
        load_model("lightening")
    message = str(error.value)
    for name in ["lightning", "thunder", "lightning-int8", "lightning-hub", "thunder-hub", "movenet_thunder.tflite"]:
        assert name in message


def test_a_file_that_is_not_a_model_is_a_model_error(tmp_path):
    bogus = tmp_path / "bogus.tflite"
    bogus.write_bytes(b"not a flatbuffer at all")
    with pytest.raises(ModelError, match="bogus.tflite"):
        load_model(str(bogus))


def test_a_model_path_works(models_dir):
    model = load_model(str(models_dir / "movenet_thunder_fp16.tflite"))
    assert model.input_size == 256


def walk_in_frames(frames, start_offset):
    """The clip shifted right by `start_offset` px and sliding back in: a person walking in."""
    count = len(frames)
    for i, frame in enumerate(frames):
        shift = int(start_offset * max(0.0, 1 - i / (count * 0.5)))
        image = np.zeros_like(frame.image)
        width = image.shape[1]
        if shift < width:
            image[:, shift:] = frame.image[:, : width - shift]
        yield Frame(image, frame.t, i), shift


def test_tracking_finds_a_person_who_walks_in_from_the_side(clips_dir):
    frames = list(read_video(clips_dir / "squat_side_3.mp4"))[:120]
    model = load_model("lightning")
    tracker = PoseTracker(model)
    width = frames[0].image.shape[1]
    errors = []
    for frame, shift in walk_in_frames(frames, start_offset=width):
        pose = tracker.update(frame)
        if shift == 0:
            # Once fully in view, tracking must see what a whole-frame look sees.
            whole = model.predict(frame.image).keypoints
            seen = (whole[:, 2] > 0.3) & (pose.keypoints[:, 2] > 0.3)
            assert seen.sum() >= 7  # a side view hides much of the far side
            errors.append(np.median(np.hypot(*(pose.keypoints[seen, :2] - whole[seen, :2]).T)))
    assert len(errors) > 40
    assert np.median(errors) < 8.0
    assert pose.score > 0.5


def test_tracking_narrows_onto_the_person_and_keeps_them(clips_dir):
    source = read_video(clips_dir / "squat_side_3.mp4")
    tracker = PoseTracker(load_model("lightning"))
    poses = [tracker.update(frame) for frame in list(source)[:90]]
    whole = full_frame(*source.size)
    crops = [p.crop for p in poses[1:]]
    assert all(crop != whole for crop in crops)
    assert all((crop[2] - crop[0]) < (whole[2] - whole[0]) for crop in crops)
    assert np.mean([p.score for p in poses]) > 0.5
