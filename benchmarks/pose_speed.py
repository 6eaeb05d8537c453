"""Pose speed on a shared clip: bare model time, end-to-end fps, and the tutorial's way as the baseline.

For each variant: the median of the bare model call (TFLite `invoke()` or the SavedModel signature)
on a prepared input; the end-to-end frames per second of decode + preprocess + pose over the whole
clip (coach's reader thread and crop tracking); and the baseline of TensorFlow's MoveNet tutorial
(per frame `tf.image.resize_with_pad`, cast to int32, the SavedModel through `tensorflow_hub`),
decoding in the same loop. All in one run, so the ratios compare like with like.

    .venv/bin/python benchmarks/pose_speed.py [--clip PATH] [--repeats 3]
"""

import argparse
import os
import statistics
import time
from pathlib import Path


from coach.pose import PoseTracker, load_model
from coach.pose.models import resolve
from coach.pose.movenet import crop_input, full_frame
from coach.sources import read_video

SHARED = Path(__file__).resolve().parents[2] / "shared"
TFLITE = ["lightning-int8", "lightning", "thunder"]
HUB = {"lightning": "lightning-hub", "thunder": "thunder-hub"}


def bare_ms(model, image, runs=200) -> float:
    """Median time of the model alone on one prepared input, in milliseconds."""
    prepared = crop_input(image, full_frame(image.shape[1], image.shape[0]), model.input_size)
    if hasattr(model.run, "interpreter"):
        model.run(prepared)  # sets the input tensor
        call = model.run.interpreter.invoke
    else:
        call = lambda: model.run(prepared)  # noqa: E731
    for _ in range(10):
        call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def end_to_end_fps(model, clip) -> float:
    tracker = PoseTracker(model)
    start = time.perf_counter()
    count = sum(1 for frame in read_video(clip) if tracker.update(frame) is not None)
    return count / (time.perf_counter() - start)


def tutorial_fps(variant, clip) -> float:
    """The tutorial's loop: decode, tf.image.resize_with_pad, cast to int32, hub SavedModel."""
    import cv2
    import tensorflow as tf
    import tensorflow_hub as hub

    chosen, path = resolve(HUB[variant])
    movenet = hub.load(str(path)).signatures["serving_default"]
    size = chosen.input_size
    capture = cv2.VideoCapture(str(clip))
    ok, image = capture.read()
    movenet(input=tf.zeros((1, size, size, 3), tf.int32))  # warm-up, as for coach's models
    start, count = time.perf_counter(), 0
    while ok:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        batch = tf.cast(tf.image.resize_with_pad(tf.expand_dims(rgb, axis=0), size, size), dtype=tf.int32)
        movenet(input=batch)["output_0"].numpy()
        count += 1
        ok, image = capture.read()
    return count / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", default=str(SHARED / "data" / "clips" / "squat_side_3.mp4"))
    parser.add_argument("--repeats", type=int, default=3, help="runs of each end-to-end measurement (median)")
    args = parser.parse_args()
    os.environ.setdefault("COACH_MODEL_DIR", str(SHARED / "models"))
    source = read_video(args.clip)
    image = next(iter(source)).image
    print(f"clip {Path(args.clip).name}: {source.size[0]}x{source.size[1]}, {source.frame_count} frames; "
          f"{os.cpu_count()} CPUs; median of {args.repeats} runs\n")

    # The LiteRT variants go first: once TensorFlow is imported, its thread pools share the two
    # cores with everything that runs after it in this process.
    measured = []
    for name in TFLITE + list(HUB.values()):
        model = load_model(name)
        bare = bare_ms(model, image)
        measured.append((name, bare, statistics.median(end_to_end_fps(model, args.clip) for _ in range(args.repeats))))
    baseline = {v: statistics.median(tutorial_fps(v, args.clip) for _ in range(args.repeats)) for v in HUB}
    rows = []
    for name, bare, fps in measured:
        family = "thunder" if name.startswith("thunder") else "lightning"
        rows.append((name, bare, fps, 1000 / fps / bare, fps / baseline[family]))

    print(f"{'variant':<16}{'bare ms':>9}{'e2e fps':>9}{'e2e ms':>8}{'e2e/bare':>10}{'x tutorial':>12}")
    for name, bare, fps, per_bare, speedup in rows:
        print(f"{name:<16}{bare:9.2f}{fps:9.1f}{1000 / fps:8.2f}{per_bare:10.2f}{speedup:12.2f}")
    for family, fps in baseline.items():
        print(f"{'tutorial ' + family:<16}{'':>9}{fps:9.1f}{1000 / fps:8.2f}{'':>10}{1.0:12.2f}")

    by_name = {row[0]: row for row in rows}
    checks = [
        ("Lightning int8 end-to-end >= 4x the tutorial's Lightning", by_name["lightning-int8"][4] >= 4),
        ("Lightning int8 per-frame time <= 1.3x bare invoke()", by_name["lightning-int8"][3] <= 1.3),
        ("Thunder end-to-end >= 2x the tutorial's Thunder", by_name["thunder"][4] >= 2),
    ]
    print()
    for label, ok in checks:
        print(f"{'met ' if ok else 'MISSED'}  {label}")


if __name__ == "__main__":
    main()
