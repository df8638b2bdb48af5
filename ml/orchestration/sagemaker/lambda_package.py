"""Build the resolve Lambda's code package: `python -m ml.orchestration.sagemaker.lambda_package OUT.zip`.

The zip holds the `ml` package, `configs/` and the installed distributions the handler imports (pydantic,
PyYAML, boto3 and what they need), copied file by file from this environment, so the Lambda runs the
versions `make test` tested. Entries are sorted and dated 1980-01-01: the same tree gives the same bytes,
so Terraform's source hash changes only when the code does.
"""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

# What `ml.orchestration.sagemaker.lambda_handler` imports, with their own dependencies.
DISTRIBUTIONS = (
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "typing-extensions",
    "typing-inspection",
    "pyyaml",
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "six",
    "urllib3",
)
# Lambda's python3.11 runtime is Amazon Linux 2 (glibc 2.26): a wheel built for a newer glibc fails there.
MAX_GLIBC = (2, 26)
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SKIPPED = ("__pycache__", ".pyc")


def package_files(repository: Path) -> Iterator[tuple[str, Path]]:
    """(name in the zip, file) for the code, the environment files and the distributions."""
    for folder in ("ml", "configs"):
        for path in sorted((repository / folder).rglob("*")):
            if path.is_file() and not path.name.endswith(SKIPPED) and "__pycache__" not in path.parts:
                yield path.relative_to(repository).as_posix(), path
    for name in DISTRIBUTIONS:
        distribution = metadata.distribution(name)
        check_platform(distribution)
        for file in distribution.files or ():
            path = Path(str(distribution.locate_file(file)))
            if path.is_file() and ".." not in file.parts and not file.name.endswith(SKIPPED):
                yield file.as_posix(), path


def check_platform(distribution: metadata.Distribution) -> None:
    """Refuse a binary wheel the Lambda runtime cannot load (a wheel tagged several ways needs its oldest)."""
    tags = [
        line.split()[-1]
        for line in (distribution.read_text("WHEEL") or "").splitlines()
        if line.startswith("Tag:")
    ]
    needs = [glibc_of(tag) for tag in tags if "linux" in tag]
    if needs and min(needs) > MAX_GLIBC:
        major, minor = min(needs)
        raise SystemExit(
            f"{distribution.metadata['Name']}: wheel {tags[0]} needs glibc {major}.{minor}; the Lambda "
            f"runtime has {MAX_GLIBC[0]}.{MAX_GLIBC[1]}. Pin a manylinux2014 build."
        )


def glibc_of(tag: str) -> tuple[int, int]:
    """The glibc a platform tag needs: manylinux2014 = 2.17, manylinux_2_28 = 2.28."""
    legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
    for name, version in legacy.items():
        if f"-{name}_" in tag:
            return version
    if "manylinux_" in tag:
        major, minor = tag.split("manylinux_")[1].split("_")[:2]
        return int(major), int(minor)
    return (99, 0)  # linux_x86_64: built on some machine, no promise


def build_package(repository: Path, target: Path) -> int:
    """Write the zip through a temp file and a rename; return the number of files."""
    entries = dict(package_files(repository))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name].read_bytes())
    partial.replace(target)
    return len(entries)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0] if args else "build/resolve-lambda.zip")
    repository = Path(__file__).resolve().parents[3]
    count = build_package(repository, target)
    print(f"{target}: {count} files, {target.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
