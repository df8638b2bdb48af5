"""Properties of the configuration and approval readers over generated YAML (hypothesis): whatever the
bytes, the answer is a mapping or a ConfigError naming the file, never another exception or a hang."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import event, given
from hypothesis import strategies as st

from ml.config.loader import read_yaml_mapping
from ml.errors import ConfigError
from ml.registry.approvals import load_approval_file

PIECES = [
    "a: 1\n",
    "a: 1\n",
    "b: [1, 2]\n",
    "c: {x: 1}\n",
    "&x ",
    "*x",
    "- ",
    "  ",
    "\n",
    ": ",
    "? ",
    "!!python/object ",
    "[",
    "]",
    "{",
    "}",
    "'",
    '"',
    "<<: *x\n",
    "approvals:\n",
    "  - model_group: g\n",
    "    version: 99999999999\n",
    "rejections: []\n",
    "\t",
    "#",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "\ufeff",
    "é",
    "\x00",
]

documents = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=30).map(
        lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
    ),
    st.binary(max_size=200),
)


def read_with(reader, data: bytes, name: str):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return path, reader(path), None
        except ConfigError as exc:
            return path, None, str(exc)


@given(documents)
def test_environment_files_give_a_mapping_or_a_config_error(data):
    path, value, error = read_with(read_yaml_mapping, data, "environment.yaml")

    event("config error" if error else "mapping")
    assert isinstance(value, dict) or error.startswith(str(path))


@given(documents)
def test_approval_files_give_approvals_or_a_config_error(data):
    path, value, error = read_with(load_approval_file, data, "approved-model.yaml")

    event("config error" if error else "read")
    assert value is not None or str(path) in error
