"""The `coach` command. Each subcommand lives in its own module with `add_parser` and `run`.

The subcommands import their libraries (pandas, cv2, pydantic...) when they run, so that
`coach --help` and building the parser stay fast.
"""

import argparse
import logging
import sys

from coach.errors import CoachError
from coach.cli import analyze, app, exercises, history, pose

COMMANDS = [pose, analyze, exercises, app, history]


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
