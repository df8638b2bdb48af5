"""Config and approval files read defensively: size, nesting, alias expansion, repeated keys, encoding."""

import pytest

from ml.config.loader import read_yaml_mapping
from ml.errors import ConfigError
from ml.registry.approvals import load_approval_file

# 366 bytes that expand to 9^9 (387 million) strings when anything walks the document.
ALIAS_BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""

HOSTILE = {
    "alias bomb": (ALIAS_BOMB.encode(), "aliases expand to more than 100000 values"),
    "duplicate key": (
        b"name: local\nkind: workload\nname: prod\n",
        "line 3, column 1: not valid YAML .*'name' appears twice",
    ),
    "duplicate key in a flow mapping": (b"x: {a: 1, a: 2}\n", "'a' appears twice"),
    "deep nesting": (b"a: " + b"[" * 200 + b"]" * 200 + b"\n", "nested deeper than 64 levels"),
    "huge file": (b"a: " + b"x" * (2 << 20) + b"\n", "a configuration file may hold at most"),
    "latin-1 bytes": ("name: Jos\xe9\n".encode("latin-1"), "line 1: byte offset 9: not UTF-8"),
    "UTF-16": ("name: local\n".encode("utf-16"), "not UTF-8"),
    "list as key": (b"? [a, b]\n: 1\n", "a key must be a plain value"),
}


@pytest.mark.parametrize("content", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_environment_file_is_a_config_error_naming_the_file(tmp_path, content):
    data, message = content
    path = tmp_path / "environment.yaml"
    path.write_bytes(data)

    with pytest.raises(ConfigError, match=message) as error:
        read_yaml_mapping(path)

    assert str(error.value).startswith(str(path))


@pytest.mark.parametrize("content", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_approval_file_is_a_config_error_never_nothing_approved(tmp_path, content):
    path = tmp_path / "approved-model.yaml"
    path.write_bytes(content[0])

    with pytest.raises(ConfigError) as error:
        load_approval_file(path)

    assert str(path) in str(error.value)


def test_a_bom_is_fine(tmp_path):
    path = tmp_path / "environment.yaml"
    path.write_bytes(b"\xef\xbb\xbfname: local\n")

    assert read_yaml_mapping(path) == {"name": "local"}


def test_an_approval_file_that_is_a_folder_is_an_error(tmp_path):
    (tmp_path / "approved-model.yaml").mkdir()

    with pytest.raises(ConfigError, match=r"approved-model\.yaml: cannot be read"):
        load_approval_file(tmp_path / "approved-model.yaml")


def test_a_missing_approval_file_still_means_nothing_approved(tmp_path):
    assert load_approval_file(tmp_path / "approved-model.yaml").approvals == []


def test_aliases_within_the_limits_still_work(tmp_path):
    path = tmp_path / "environment.yaml"
    path.write_text("base: &base {a: 1}\nother: *base\n")

    assert read_yaml_mapping(path) == {"base": {"a": 1}, "other": {"a": 1}}


@pytest.mark.parametrize("text", ["? rejections: []\n", "?   - model_group: g\n"])
def test_a_list_or_mapping_as_key_in_an_approval_file_is_a_config_error(tmp_path, text):
    # Found by tests/fuzz/test_yaml_properties.py: ruamel raised TypeError (a traceback) here.
    path = tmp_path / "approved-model.yaml"
    path.write_text(text)

    with pytest.raises(ConfigError, match="a key must be a plain value"):
        load_approval_file(path)
