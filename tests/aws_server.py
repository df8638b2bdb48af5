"""Test helpers for AWS: a real moto server on 127.0.0.1, and a socket guard that keeps tests off the network.

Fixtures are defined here and registered by importing them in tests/conftest.py.
"""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REGION = "us-east-1"
# moto's default account: what the fake credentials below resolve to.
ACCOUNT_ID = "123456789012"
START_TIMEOUT_SECONDS = 30.0
START_ATTEMPTS = 3
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


class NetworkAccessError(RuntimeError):
    """A test tried to reach a non-loopback address.

    Not an OSError on purpose: HTTP clients catch those and retry, burying the message.
    """


@dataclass
class MotoServer:
    """A running moto server: where it listens and how to reset or reach it."""

    endpoint_url: str
    log_path: Path
    # One session for all clients: a new one re-reads the service models (~0.1 s per client).
    _session: Any = field(default=None, repr=False)

    def reset(self) -> None:
        """Forget every resource in every account and region (moto's `POST /moto-api/reset`)."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def client(self, service: str, *, account_id: str | None = None) -> Any:
        """Return a client for `service` on this server, acting as `account_id` when one is given."""
        from ml.aws import build_client, build_session

        self._session = self._session or build_session(region=REGION)
        # One attempt: a moto 500 means "not implemented", and retrying it only slows the suite.
        client = build_client(
            service, region=REGION, endpoint_url=self.endpoint_url, session=self._session, max_attempts=1
        )
        if account_id is not None:
            act_as_account(client, account_id)
        return client


def act_as_account(client: Any, account_id: str) -> None:
    """Make moto serve this client's calls from `account_id` (moto reads the `x-moto-account-id` header)."""

    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account_id

    client.meta.events.register("before-sign", add_header)


def resolve_group_arns_like_aws(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """Let moto serve ARN-addressed calls from the ARN's account, as AWS does; return the calls as sent.

    moto 5.2.5 looks a group ARN up as a *name* in the caller's account (create_model_package and
    describe_model_package_group fail), so this hook records each call's parameters, then hands moto the
    group's name and routes the call to the account in the ARN (moto's `x-moto-account-id` header).
    """
    calls: list[tuple[str, dict[str, Any]]] = []

    def record_and_resolve(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        calls.append((model.name, dict(params)))
        for key in ("ModelPackageGroupName", "ModelPackageName", "ModelPackageArn"):
            value = params.get(key, "")
            if value.startswith("arn:"):
                context["moto_account"] = value.split(":")[4]
                if ":model-package-group/" in value:
                    params[key] = value.rsplit("/", 1)[1]

    def route(request: Any, **_: Any) -> None:
        if "moto_account" in request.context:
            request.headers["x-moto-account-id"] = request.context["moto_account"]

    client.meta.events.register("before-parameter-build.sagemaker", record_and_resolve)
    client.meta.events.register("before-sign.sagemaker", route)
    return calls


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_moto_server(log_path: Path) -> tuple[subprocess.Popen[bytes], MotoServer]:
    """Start `python -m moto.server` on a free loopback port and wait until it answers."""
    for _ in range(START_ATTEMPTS):
        port = free_port()
        server = MotoServer(f"http://127.0.0.1:{port}", log_path)
        with log_path.open("ab") as log:
            command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        if _wait_until_answering(process, server.endpoint_url):
            return process, server
        stop_process(process)
    raise RuntimeError(f"moto server did not start after {START_ATTEMPTS} attempts; see {log_path}")


def _wait_until_answering(process: subprocess.Popen[bytes], endpoint_url: str) -> bool:
    """Poll the server until it answers HTTP; False if it exits (e.g. port taken) or times out."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{endpoint_url}/moto-api/", timeout=1):
                return True
        except urllib.error.HTTPError:
            return True  # any HTTP status means it is serving
        except OSError:
            time.sleep(0.05)
    return False


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate one process we started, killing it if it ignores SIGTERM."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def aws_environment(endpoint_url: str, config_dir: Path) -> dict[str, str | None]:
    """Environment that points every SDK client at moto with fake credentials (None = unset)."""
    missing = str(config_dir / "absent")
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        # A developer's ~/.aws could name a profile, SSO or credential_process that reaches out.
        "AWS_CONFIG_FILE": missing,
        "AWS_SHARED_CREDENTIALS_FILE": missing,
        "AWS_PROFILE": None,
        "AWS_SESSION_TOKEN": None,
        "AWS_SECURITY_TOKEN": None,
    }


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """A moto server for the whole session, with AWS_* variables pointing at it while it runs."""
    folder = tmp_path_factory.mktemp("moto")
    process, server = start_moto_server(folder / "moto.log")
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in aws_environment(server.endpoint_url, folder).items():
                if value is None:
                    patch.delenv(name, raising=False)
                else:
                    patch.setenv(name, value)
            yield server
    finally:
        stop_process(process)


@pytest.fixture
def fresh_moto(moto_server: MotoServer) -> MotoServer:
    """The session's moto server, emptied before the test so no test sees another's resources."""
    moto_server.reset()
    return moto_server


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback name or address (127.0.0.0/8, ::1, IPv4-mapped loopback)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def _check_address(family: int, address: Any, action: str) -> None:
    """Refuse an inet address that is not loopback; other families (AF_UNIX, netlink) stay on the machine."""
    if family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = address[0] if isinstance(address, tuple) else address
    if not is_loopback(str(host)):
        _refuse(action, address)


def _refuse(action: str, target: Any) -> None:
    """Raise the error that tells the test author how to stay offline."""
    raise NetworkAccessError(
        f"test tried to {action} {target!r}: only 127.0.0.0/8, ::1 and AF_UNIX are allowed. "
        "Point the client at the moto_server fixture (AWS_ENDPOINT_URL) or use a local backend."
    )


def install_socket_guard() -> Callable[[], None]:
    """Patch socket connect/sendto and name lookups to refuse non-loopback targets; return the undo."""
    original = {
        "connect": socket.socket.connect,
        "connect_ex": socket.socket.connect_ex,
        "sendto": socket.socket.sendto,
        "getaddrinfo": socket.getaddrinfo,
    }

    def connect(self: socket.socket, address: Any) -> None:
        _check_address(self.family, address, "connect to")
        return original["connect"](self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check_address(self.family, address, "connect to")
        return original["connect_ex"](self, address)

    def sendto(self: socket.socket, data: bytes, *args: Any) -> int:
        _check_address(self.family, args[-1], "send to")
        return original["sendto"](self, data, *args)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        # A DNS query already leaves the machine, so refuse names before the resolver sends one.
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not is_loopback(name) and not _is_ip_literal(name):
            _refuse("resolve", name)
        return original["getaddrinfo"](host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign, assignment]
    socket.getaddrinfo = getaddrinfo

    def uninstall() -> None:
        for name in ("connect", "connect_ex", "sendto"):
            setattr(socket.socket, name, original[name])
        socket.getaddrinfo = original["getaddrinfo"]

    return uninstall


def _is_ip_literal(name: str) -> bool:
    """Whether `name` is an IP address rather than a host name (no lookup needed)."""
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return True


@pytest.fixture(scope="session", autouse=True)
def socket_guard() -> Iterator[None]:
    """Refuse every connection the test session tries to make beyond loopback (see install_socket_guard)."""
    uninstall = install_socket_guard()
    try:
        yield
    finally:
        uninstall()
