"""Run checkov with every call home switched off: no guideline download, no update check, and any socket
connection beyond loopback refused, so a new call home fails loudly instead of leaking or hanging.

Usage (from its own venv, `make checkov-setup`): .venv-checkov/bin/python infra/checkov/run.py <checkov args>
"""

import ipaddress
import os
import socket
import sys

os.environ["BC_SKIP_MAPPING"] = "TRUE"
os.environ["CKV_SKIP_PACKAGE_UPDATE_CHECK"] = "TRUE"
_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address) -> None:
    host = address[0] if isinstance(address, tuple) else None
    is_ip = host is not None and self.family in (socket.AF_INET, socket.AF_INET6)
    if is_ip and not ipaddress.ip_address(host.split("%")[0]).is_loopback:
        raise ConnectionRefusedError(f"checkov tried to reach {host}; it must run offline")
    _connect(self, address)


def _no_lookups(host, *args, **kwargs):
    raise socket.gaierror(f"checkov tried to resolve {host}; it must run offline")


if __name__ == "__main__":
    socket.socket.connect = _loopback_only
    socket.getaddrinfo = _no_lookups
    from checkov.main import Checkov

    sys.exit(Checkov(argv=["--skip-download", *sys.argv[1:]]).run() or 0)
