"""The `coach` command. Each subcommand lives in its own module with `add_parser` and `run`.

The subcommands import their libraries (pandas, cv2, pydantic...) when they run, so that
`coach --help` and building the parser stay fast.
"""

import argparse
import logging
import os
import sys

from coach.errors import CoachError
from coach.cli import analyze, app, exercises, history, pose, routines

COMMANDS = [pose, analyze, exercises, routines, app, history]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coach", description="A camera-based fitness coach that counts repetitions.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        quiet_video_libraries()
    try:
        return args.run(args) or 0
    except CoachError as error:
        print(f"coach: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("coach: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`coach history | head`): stop quietly, as Unix tools do.
        sys.stdout = None
        return 0


def quiet_video_libraries():
    """Keep OpenCV's and FFmpeg's own messages ("[h264 @ 0x...] Invalid NAL unit size") off the
    terminal: what matters reaches the user as coach's warning or error line. Set before cv2 is
    imported, and inherited by `coach app`'s server; an explicit setting wins (for debugging)."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
