"""`coach --help` stays fast: building the parser imports none of the heavy libraries."""

import subprocess
import sys

PROBE = ("import coach.cli, sys; coach.cli.build_parser(); "
         "print(sorted(m for m in ('pandas','sqlalchemy','cv2','pydantic','tensorflow') if m in sys.modules))")


def test_building_the_parser_imports_no_heavy_library():
    # A fresh interpreter: this test process has imported them all already.
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
