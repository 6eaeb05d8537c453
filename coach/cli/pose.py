"""`coach pose`: MoveNet keypoints for an image or a video, as JSON, an overlay, or a .npy series."""

from __future__ import annotations

import json
from pathlib import Path

from coach.errors import InputError
from coach.pose.skeleton import KEYPOINTS


def add_parser(sub):
    parser = sub.add_parser("pose", help="find the 17 MoveNet keypoints in an image or video")
    parser.add_argument("input", help="an image or a video file")
    parser.add_argument("--model", default="lightning", help="variant name or model path (default: lightning)")
    parser.add_argument("--json", action="store_true", help="print the keypoints (image) or a summary (video) as JSON")
    parser.add_argument("--out", help="write the skeleton overlay: .png for an image, .mp4 or .gif for a video")
    parser.add_argument("--keypoints-out", help="video: write float32 [frames, 17, 3] (y, x, score) to this .npy, with the frame times (.times.npy) and image size (.meta.json) beside it")
    parser.add_argument("--no-track", action="store_true", help="video: look at every frame whole instead of following the person")
    parser.set_defaults(run=run)


def run(args) -> int:
    from coach.pose import load_model
    from coach.sources import check_exists, is_image

    path = check_exists(args.input)
    model = load_model(args.model)
    if is_image(path):
        return pose_image(model, path, args)
    return pose_video(model, path, args)


def pose_image(model, path: Path, args) -> int:
    if args.keypoints_out:
        raise InputError("--keypoints-out is for videos; use --json for an image")
    from coach.render import draw_pose, write_image
    from coach.sources import read_image

    image = read_image(path)
    pose = model.predict(image)
    if args.out:
        if Path(args.out).suffix.lower() not in (".png", ".jpg", ".jpeg"):
            raise InputError(f"{args.out}: the overlay of an image is a .png or .jpg")
        write_image(args.out, draw_pose(image, pose))
    keypoints = [{"name": name, "x": round(float(x), 1), "y": round(float(y), 1), "score": round(float(s), 3)}
                 for name, (x, y, s) in zip(KEYPOINTS, pose.keypoints)]
    if args.json:
        print(json.dumps({"model": model.name, "width": pose.size[0], "height": pose.size[1],
                          "keypoints": keypoints, "score": round(pose.score, 3)}))
    else:
        for k in keypoints:
            print(f"{k['name']:>15}  x={k['x']:7.1f}  y={k['y']:7.1f}  score={k['score']:.2f}")
    return 0


def pose_video(model, path: Path, args) -> int:
    import numpy as np
    from tqdm import tqdm

    from coach import keypoints as keypoint_files
    from coach.pose import PoseTracker
    from coach.render import VideoWriter, draw_pose
    from coach.sources import read_video

    source = read_video(path)
    tracker = PoseTracker(model, track=not args.no_track)
    writer = VideoWriter(args.out, source.fps or 30) if args.out else None
    poses, times = [], []
    try:
        for frame in tqdm(source, total=len(source) or None, unit="frame", desc=path.name):
            pose = tracker.update(frame)
            poses.append(pose.keypoints)
            times.append(frame.t)
            if writer:
                writer.write(draw_pose(frame.image, pose, show_crop=True))
    finally:
        if writer:
            writer.close()
    n = len(poses)
    series = keypoint_files.KeypointSeries(np.asarray(times, np.float64), np.asarray(poses, np.float32).reshape(n, 17, 3),
                                           np.tile(np.asarray(source.size, np.int32), (n, 1)), np.ones(n, bool))
    if args.keypoints_out:
        # The series is normalised; the image size beside it lets `coach analyze` measure in pixels.
        keypoint_files.save(args.keypoints_out, series, fps=source.fps, model=model.name, source=str(path))
    series = series.to_movenet()
    summary = {"model": model.name, "input": str(path), "frames": len(series), "fps": round(source.fps, 3),
               "duration_s": round(times[-1], 3) if times else 0.0,
               "mean_score": round(float(series[:, :, 2].mean()), 3) if len(series) else 0.0}
    print(json.dumps(summary) if args.json else
          f"{summary['frames']} frames, mean keypoint score {summary['mean_score']:.2f}")
    return 0
