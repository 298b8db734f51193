"""A throwaway PostgreSQL server for tests and benchmarks (Debian's ``postgresql`` package).

``Cluster().start()`` runs ``initdb`` in a new temporary folder, starts ``postgres`` on a free
loopback port (and a private socket folder) and creates a database; ``stop()`` stops the server
and removes the folder. PostgreSQL refuses to run as root, so as root every command runs as the
``postgres`` user (``runuser``) and the folder is given to that user. When the binaries are missing
``PostgresMissing`` says how to install them.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from citybrain.devserver import free_port

log = logging.getLogger(__name__)
INSTALL_HINT = "PostgreSQL is not installed: apt-get install postgresql"


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries (initdb, pg_ctl) are not installed."""


def bindir() -> Path:
    """The newest installed PostgreSQL's bin folder, or ``PostgresMissing``."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    raise PostgresMissing(INSTALL_HINT)


class Cluster:
    """One temporary PostgreSQL server with one database; ``url`` is its SQLAlchemy URL."""

    def __init__(self, database: str = "citybrain", max_connections: int = 300) -> None:
        self.database, self.max_connections = database, max_connections
        self.bin = bindir()
        self.root: Path | None = None
        self.port = 0
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> str:
        cmd = ["runuser", "-u", "postgres", "--", *args] if self.as_root else list(args)
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({res.returncode}): {(res.stderr or res.stdout)[-2000:]}")
        return res.stdout

    @property
    def url(self) -> str:
        return self.url_of(self.database)

    def url_of(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> "Cluster":
        self.root = Path(tempfile.mkdtemp(prefix="citybrain-pg-"))
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        data, sock = self.root / "data", self.root / "sock"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        self._run("mkdir", str(sock))
        self.port = free_port()
        opts = (f"-p {self.port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                f"-c full_page_writes=off -c max_connections={self.max_connections}")
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(self.root / "server.log"),
                  "-w", "-t", "60", "start")
        self.create_database(self.database)
        log.info("PostgreSQL started on 127.0.0.1:%s in %s", self.port, self.root)
        return self

    def create_database(self, name: str) -> str:
        """Create database ``name``; return its URL."""
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url_of(name)

    def stop(self) -> None:
        if self.root is None:
            return
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        except RuntimeError:
            log.exception("PostgreSQL did not stop cleanly")
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
