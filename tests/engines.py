"""Real engines for the tests: a PostgreSQL server started in a temporary folder on 127.0.0.1.

The server comes from Debian's packages (`.ci/run` installs them when missing). initdb refuses to run
as root, so under root the server runs as the `postgres` user the package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

USER = "health"


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str

    def dsn(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; its DSN."""
        import psycopg2

        connection = psycopg2.connect(host=self.host, port=self.port, user=self.user, dbname="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'create database "{name}"')
        connection.close()
        return self.dsn(name)


def postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs, if they are installed."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def postgres_server(folder: Path) -> Iterator[PostgresServer]:
    """A PostgreSQL server with its data in ``folder``, listening on 127.0.0.1 only; stopped afterwards."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL's server is not installed (Debian: apt-get install postgresql)")
    as_owner: list[str] = []
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        as_owner = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
        # The server's user must reach its folder through the temporary folders above it.
        for parent in folder.parents:
            if str(parent).startswith("/tmp/") or str(parent) == "/tmp":
                os.chmod(parent, os.stat(parent).st_mode | 0o005)
    data, port = folder / "data", _free_port()

    def run(*command: str, check: bool = True) -> None:
        subprocess.run([*as_owner, *command], check=check, capture_output=True, text=True)

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync")
    options = (
        f"-p {port} -h 127.0.0.1 -k {folder} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    run(
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(folder / "server.log"),
        "-w",
        "start",
    )
    try:
        yield PostgresServer(host="127.0.0.1", port=port, user=USER)
    finally:
        # The data folder is temporary: nothing to save, so stop at once (and never fail the tests here).
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop", check=False)
