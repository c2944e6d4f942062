"""Real engines for the tests: a PostgreSQL server started in a temporary folder on 127.0.0.1, and a Spark
server (Thrift and Spark Connect, as a cluster offers them) from pyspark's own jars.

The server comes from Debian's packages (`.ci/run` installs them when missing). initdb refuses to run
as root, so under root the server runs as the `postgres` user the package creates.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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


# Spark's log4j records start with the time: "26/12/07 10:05:09 ERROR TThreadPoolServer: ...".
_LOG_RECORD = re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d ")


@dataclass(frozen=True)
class SparkServer:
    """A running Spark application serving dbt (Thrift) and the Python assets (Spark Connect)."""

    thrift_port: int
    connect_port: int
    lake: Path
    log: Path

    def log_errors(self, most: int = 80) -> str:
        """The last ``most`` lines of the server log's ERROR records and records naming an exception, each
        with its trace: what a failing test shows of why the server dropped or failed a query."""
        kept: list[str] = []
        keeping = False
        for line in self.log.read_text(errors="replace").splitlines():
            if _LOG_RECORD.match(line):  # a record starts; the lines that do not are its trace
                keeping = " ERROR " in line or "Exception" in line
            if keeping:
                kept.append(line)
        return "\n".join(kept[-most:]) or f"(no error in {self.log})"

    def env(self) -> dict[str, str]:
        """What the job's settings are when Spark runs elsewhere (docs/scale-out.md)."""
        return {
            "HEALTH_SPARK_METHOD": "thrift",
            "HEALTH_SPARK_HOST": "127.0.0.1",
            "HEALTH_SPARK_PORT": str(self.thrift_port),
            "HEALTH_SPARK_USER": USER,
            "HEALTH_SPARK_REMOTE": f"sc://127.0.0.1:{self.connect_port}",
            "HEALTH_LAKE_DIR": str(self.lake),
        }


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def spark_server(folder: Path, timeout: float = 300) -> Iterator[SparkServer]:
    """A Spark application on this machine standing in for a cluster: the Spark Thrift server (what dbt's
    `thrift` method reaches) with the Spark Connect plugin (what the Python assets reach), one metastore
    in ``folder``, listening on 127.0.0.1 only; stopped afterwards. Both come with pyspark."""
    import pyspark

    from dagster_project.warehouse.engines.spark_engine import SparkEngine

    engine = SparkEngine(warehouse_dir=folder / "warehouse", metastore=folder / "metastore_db")
    # Where the server keeps its tables and catalogue; each client sets its own session's SQL settings.
    own = engine.session_conf()
    settings = {
        key: value for key, value in engine.conf().items() if key not in own and key != "spark.master"
    }
    settings |= {
        "spark.log.level": "WARN",
        "spark.plugins": "org.apache.spark.sql.connect.SparkConnectPlugin",
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(connect_port := _free_port()),
    }
    thrift_port = _free_port()
    spark_home = Path(pyspark.__file__).parent
    command = [
        str(spark_home / "bin" / "spark-submit"),
        "--class",
        "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
        "--master",
        "local[2]",
        *(part for key, value in settings.items() for part in ("--conf", f"{key}={value}")),
        "--hiveconf",
        f"hive.server2.thrift.port={thrift_port}",
        "--hiveconf",
        "hive.server2.thrift.bind.host=127.0.0.1",
        "spark-internal",
    ]
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        command,
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "SPARK_HOME": str(spark_home), "SPARK_LOCAL_IP": "127.0.0.1"},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while not (_listening(thrift_port) and _listening(connect_port)):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Spark server did not start: see {folder / 'server.log'}")
            time.sleep(1)
        yield SparkServer(
            thrift_port=thrift_port,
            connect_port=connect_port,
            lake=folder / "lake",
            log=folder / "server.log",
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)  # its shutdown hooks can hang: then it is killed
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


class DroppingProxy(socketserver.ThreadingTCPServer):
    """A port on 127.0.0.1 in front of a server's: it closes the first ``drops`` connections as they
    open, as a busy Thrift server or a cluster still starting does, and joins the later ones to the
    server. ``connections`` counts the connections it accepted."""

    daemon_threads = True

    def __init__(self, server_port: int, drops: int) -> None:
        super().__init__(("127.0.0.1", 0), _ProxiedConnection)
        self.server_port = server_port
        self.drops = drops
        self.connections = 0
        self._counting = threading.Lock()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def dropped(self) -> bool:
        """Counts a new connection; whether it is one to drop."""
        with self._counting:
            self.connections += 1
            return self.connections <= self.drops


class _ProxiedConnection(socketserver.BaseRequestHandler):
    server: DroppingProxy

    def handle(self) -> None:
        if self.server.dropped():
            return  # the socket closes before the client's handshake is answered
        with socket.create_connection(("127.0.0.1", self.server.server_port)) as upstream:
            back = threading.Thread(target=_copy, args=(upstream, self.request), daemon=True)
            back.start()
            _copy(self.request, upstream)
            back.join()


def _copy(source: socket.socket, sink: socket.socket) -> None:
    """Bytes from ``source`` to ``sink`` until ``source`` ends; then ends ``sink``'s writing too."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@contextmanager
def dropping_proxy(server_port: int, drops: int) -> Iterator[DroppingProxy]:
    """A `DroppingProxy` serving in a thread of this process; shut down afterwards."""
    proxy = DroppingProxy(server_port, drops)
    serving = threading.Thread(target=proxy.serve_forever, daemon=True)
    serving.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
