"""`mlops --help` must stay instant: the CLI module may not import the heavy libraries."""

import subprocess
import sys

HEAVY = ["xgboost", "sklearn", "pandas", "numpy", "scipy", "boto3", "botocore", "sagemaker", "pydantic"]


def test_importing_the_cli_loads_no_heavy_library():
    code = f"import sys, ml.cli; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""


def test_help_runs_without_heavy_libraries():
    code = (
        "import sys\nfrom ml.cli import cli\n"
        "try:\n    cli(['--help'], prog_name='mlops')\nexcept SystemExit:\n    pass\n"
        f"print('loaded=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "Usage: mlops" in out
    assert out.strip().splitlines()[-1] == "loaded="
