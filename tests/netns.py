"""Network namespaces as separate hosts for the several-host tests (``ip netns``, veth pairs).

Each host is a namespace joined to this one by its own veth pair on a /30 of 10.213.x.0: the host
has ``.2``, this namespace ``.1`` (its gateway, where shared services such as Redis listen). Only
these addresses are ever traffic targets. Everything made is removed afterwards, also on failure.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Host:
    """One namespace: its name, its address and the address of this side of its link."""

    ns: str
    ip: str
    gateway: str

    @property
    def prefix(self) -> list[str]:
        """The command prefix that runs a program on this host."""
        return ["ip", "netns", "exec", self.ns]


def _ip(*args: str) -> None:
    out = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {out.stderr.strip()} (the several-host tests need root and "
                           "iproute2; .ci/run installs it)")


@contextlib.contextmanager
def hosts(n: int) -> Iterator[list[Host]]:
    """``n`` hosts, each its own network namespace linked to this one; removed on exit."""
    tag = f"cb{os.getpid() % 100000}"
    made: list[tuple[str, str]] = []
    try:
        out = []
        for i in range(n):
            ns, veth = f"{tag}h{i}", f"{tag}v{i}"
            _ip("netns", "add", ns)
            made.append((ns, veth))
            _ip("link", "add", f"{veth}a", "type", "veth", "peer", "name", f"{veth}b")
            _ip("link", "set", f"{veth}b", "netns", ns)
            gw, ip = f"10.213.{i}.1", f"10.213.{i}.2"
            _ip("addr", "add", f"{gw}/30", "dev", f"{veth}a")
            _ip("link", "set", f"{veth}a", "up")
            _ip("-n", ns, "addr", "add", f"{ip}/30", "dev", f"{veth}b")
            _ip("-n", ns, "link", "set", f"{veth}b", "up")
            _ip("-n", ns, "link", "set", "lo", "up")
            out.append(Host(ns, ip, gw))
        yield out
    finally:
        for ns, veth in made:
            subprocess.run(["ip", "link", "del", f"{veth}a"], capture_output=True, check=False)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
