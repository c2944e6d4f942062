"""Apache Spark: the same project on a distributed engine, as a local session (pyspark, ``local[*]``) or a
remote Spark (Spark Connect, ``HEALTH_SPARK_REMOTE``) that dbt reaches through its Thrift server.

Tables are Parquet files catalogued in a Hive metastore: the raw tables in
the lake (``HEALTH_LAKE_DIR``, ``<lake>/<schema>/<table>/``, the large ones in
folders of a day, ``occurred_on=2026-06-30/``) where DuckDB or any Parquet
reader can read them too; the others under Spark's warehouse folder. Two Spark
rules shape this engine:

- Parquet tables cannot delete or update rows, and Spark has no transactions.
  ``delete`` and ``update`` statements are rewritten as writes of whole files:
  - a table kept in partitions (the lake's events, the daily histories) has
    only the partitions the statement touches rewritten (a day left empty is
    dropped), so a daily run rewrites its days, not the history;
  - another table in the lake is overwritten in place;
  - another table builds its next version beside it and swaps it in (drop,
    then rename): the old version stays whole until its replacement is
    complete.
- The local metastore (Derby) admits one process at a time, and dbt runs in
  its own process with its own Spark: the session here is stopped, with its
  JVM, while dbt runs (`lent_out`), and started again when next needed.
  A remote Spark keeps its metastore itself, for dbt and this process alike.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import sqlglot
from pyspark.sql.types import StructType
from sqlglot import exp

from dagster_project.settings import absolute, env_or
from dagster_project.warehouse.dialect import canonical_type, for_spark, spark_parameters
from dagster_project.warehouse.engines.base import INCOMING, Engine, Query, Session

_NEXT = "__next"
OVERWRITE_MODE = "spark.sql.sources.partitionOverwriteMode"


@dataclass(frozen=True)
class SparkEngine(Engine):
    """A Spark session's folders and size; the same settings dbt's profile reads (``HEALTH_SPARK_*``)."""

    warehouse_dir: Path
    metastore: Path
    # Where the raw tables' files live: a folder, or a URI Spark can write (s3a://bucket/lake).
    lake: str = ""
    master: str = "local[*]"
    shuffle_partitions: int = 4
    driver_memory: str = "4g"
    # A remote Spark's Spark Connect address (sc://host:15002); none: a Spark of this process's own.
    remote: str | None = None
    name = "spark"

    @classmethod
    def from_env(cls, data_dir: Path) -> SparkEngine:
        """Settings from the environment; folders default to ``spark/`` and ``lake/`` beside the DuckDB
        file. dbt and the Python assets must reach the same Spark: dbt's own session (method
        ``session``) with a session of this process, or a remote Spark's Thrift server (``thrift``,
        ``http``) with its Spark Connect."""
        method, remote = env_or("HEALTH_SPARK_METHOD", "session"), env_or("HEALTH_SPARK_REMOTE")
        if (method == "session") != (remote is None):
            raise ValueError(
                f"HEALTH_SPARK_METHOD is {method!r} and HEALTH_SPARK_REMOTE is {remote!r}: dbt and "
                "the Python assets would use different Sparks. Either leave both unset (a Spark inside "
                "the job), or point dbt at the cluster's Thrift server (HEALTH_SPARK_METHOD=thrift, "
                "HEALTH_SPARK_HOST, HEALTH_SPARK_PORT) and the Python assets at the same cluster's "
                "Spark Connect (HEALTH_SPARK_REMOTE=sc://host:15002)"
            )
        return cls(
            warehouse_dir=absolute(
                env_or("HEALTH_SPARK_WAREHOUSE_DIR", str(data_dir / "spark" / "warehouse"))
            ),
            metastore=absolute(env_or("HEALTH_SPARK_METASTORE", str(data_dir / "spark" / "metastore_db"))),
            lake=_folder_or_uri(env_or("HEALTH_LAKE_DIR", str(data_dir / "lake"))),
            master=env_or("HEALTH_SPARK_MASTER", "local[*]"),
            shuffle_partitions=int(env_or("HEALTH_SPARK_SHUFFLE_PARTITIONS", "4")),
            driver_memory=env_or("HEALTH_SPARK_DRIVER_MEMORY", "4g"),
            remote=remote,
        )

    @property
    def location(self) -> str:
        return f"spark:{self.remote or self.warehouse_dir}"

    def conf(self) -> dict[str, str]:
        """A local session's settings, the same as dbt/profiles.yml's `server_side_parameters`: where it
        keeps its tables and catalogue and how big it is, then `session_conf`."""
        return {
            "spark.master": self.master,
            "spark.sql.warehouse.dir": str(self.warehouse_dir),
            "spark.hadoop.javax.jdo.option.ConnectionURL": (
                f"jdbc:derby:;databaseName={self.metastore};create=true"
            ),
            "spark.driver.extraJavaOptions": (
                f"-Dderby.system.home={self.metastore.parent} -Duser.timezone=UTC"
            ),
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.driver.memory": self.driver_memory,
            **self.session_conf(),
        }

    def session_conf(self) -> dict[str, str]:
        """The settings of this process's session that a remote Spark takes too (SQL settings)."""
        return {
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.shuffle.partitions": str(self.shuffle_partitions),
            # An overwrite replaces the partitions it writes, not the whole table (as dbt-spark sets it).
            OVERWRITE_MODE: "dynamic",
            # `create table` without `using` makes a Parquet table, not a Hive text table.
            "spark.sql.legacy.createHiveTableByDefault": "false",
            # TIMESTAMP means a timestamp without time zone, as on DuckDB and PostgreSQL.
            "spark.sql.timestampType": "TIMESTAMP_NTZ",
        }

    @contextmanager
    def session(self, read_only: bool = False) -> Iterator[SparkSession]:
        yield SparkSession(_spark(self), self)

    @contextmanager
    def lent_out(self) -> Iterator[None]:
        global _LENT_TO
        if self.remote:
            yield
            return
        release()
        _LENT_TO = str(self.metastore)
        try:
            yield
        finally:
            _LENT_TO = None

    def columns_in(self, session: Session, table: str) -> list[tuple[str, str]]:
        spark = session.spark
        if not spark.catalog.tableExists(table):
            return []
        return [(field.name, _canonical(field.dataType)) for field in spark.table(table).schema.fields]

    def tables(self) -> list[tuple[str, str]]:
        if not self.remote and not self.metastore.exists():
            return []
        spark = _spark(self)
        found = []
        for database in spark.catalog.listDatabases():
            for table in spark.catalog.listTables(database.name):
                if not table.isTemporary and not table.name.startswith("_"):
                    found.append((database.name, table.name))
        return sorted(found)

    def lake_location(self, table: str) -> str:
        """Where ``schema.table``'s files live in the lake."""
        return f"{self.lake.rstrip('/')}/{table.replace('.', '/')}"

    def hash_sum_sql(self, relation: str) -> str:
        return "cast(sum(cast(xxhash64(*) as decimal(38, 0))) as string)"

    def dbt_env(self) -> dict[str, str]:
        return {
            **super().dbt_env(),
            "HEALTH_SPARK_WAREHOUSE_DIR": str(self.warehouse_dir),
            "HEALTH_SPARK_METASTORE": str(self.metastore),
            "HEALTH_SPARK_MASTER": self.master,
            "HEALTH_SPARK_SHUFFLE_PARTITIONS": str(self.shuffle_partitions),
            "HEALTH_SPARK_DRIVER_MEMORY": self.driver_memory,
        }

    def _materialise(self, session: Session, query: Query) -> None:
        # A view would be read again after the statements that change its source: compute it once.
        frame = session.spark.sql(for_spark(query.sql), args=spark_parameters(query.params))
        frame.localCheckpoint(eager=True).createOrReplaceTempView(INCOMING)


class SparkSession(Session):
    """Statements on the process's Spark session; a transaction is each statement on its own."""

    def __init__(self, spark, engine: SparkEngine) -> None:
        self.spark = spark
        self.engine = engine

    def translate(self, sql: str) -> str:
        return for_spark(sql)

    def run(self, sql: str, params: Sequence = (), native: bool = False) -> pa.Table | None:
        statement = sqlglot.parse_one(sql, read="spark" if native else "duckdb")
        if isinstance(statement, exp.Delete | exp.Update):
            return self._rewrite(statement, params)
        frame = self.spark.sql(sql if native else for_spark(sql), args=spark_parameters(params))
        if isinstance(statement, exp.Query):
            return frame.toArrow()
        return None

    def load(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
        if table.num_rows == 0:
            # Spark Connect cannot infer a schema from no rows: give it the Arrow one.
            from pyspark.sql.pandas.types import from_arrow_schema

            frame = self.spark.createDataFrame([], schema=from_arrow_schema(table.schema))
        else:
            frame = self.spark.createDataFrame(table)
        frame.createOrReplaceTempView(name)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield

    def create_table(
        self, name: str, columns: str, partitioned_by: str | None = None, lake: bool = False
    ) -> None:
        sql = f"{self.translate(f'create table if not exists {name} ({columns})')} using parquet"
        if partitioned_by:
            sql += f" partitioned by (`{partitioned_by}`)"
        if lake:
            sql += f" location '{self.engine.lake_location(name)}'"
        self.spark.sql(sql)

    def overwrite(self, table: str, columns: str, query: str) -> None:
        # One write of the table's files, where a delete would rewrite them first (`_rewrite`). A static
        # overwrite: a dynamic one would leave the partitions ``query`` has no rows for.
        self.spark.conf.set(OVERWRITE_MODE, "static")
        try:
            self.spark.sql(self.translate(f"insert overwrite table {table} ({columns}) {query}"))
        finally:
            self.spark.conf.set(OVERWRITE_MODE, "dynamic")

    def replaceable_by_rename(self, table: str) -> bool:
        layout = self._layout(table)
        return not layout.in_lake and not layout.partitions

    def _layout(self, table: str) -> _Layout:
        """Whether ``table``'s files are in the lake (external), and its partition columns."""
        catalog = self.spark.catalog
        return _Layout(
            in_lake=catalog.getTable(table).tableType == "EXTERNAL",
            partitions=tuple(c.name for c in catalog.listColumns(table) if c.isPartition),
        )

    def _rewrite(self, statement: exp.Delete | exp.Update, params: Sequence) -> pa.Table | None:
        """A ``delete`` or ``update`` written as whole files: the partitions it touches, the table in the
        lake, or the table's next version swapped in (the module's docstring says when); the
        ``returning`` rows (of the rows deleted, or the rows after the update)."""
        # The statement's pieces are reused in several places: its parameters go in as literals.
        placeholders = list(statement.find_all(exp.Placeholder, bfs=False))
        if len(placeholders) != len(params):
            raise ValueError(
                f"{len(params)} parameters for {len(placeholders)} placeholders: {statement.sql()}"
            )
        for placeholder, value in zip(placeholders, params, strict=True):
            placeholder.replace(exp.convert(value))
        table = statement.this.sql(dialect="spark")
        where = statement.args.get("where")
        # A row the condition is not true for (false or null) is kept, or left as it was.
        hit = f"coalesce({where.this.sql(dialect='spark')}, false)" if where else "true"
        columns = [name for name, _ in self.engine.columns_in(self, table)]
        changed = {}
        if isinstance(statement, exp.Update):
            changed = {e.this.name: e.expression.sql(dialect="spark") for e in statement.expressions}
        rows = ", ".join(
            f"case when {hit} then {changed[c]} else `{c}` end as `{c}`" if c in changed else f"`{c}`"
            for c in columns
        )
        marked = self.spark.sql(f"select {rows}, {hit} as `_hit` from {table}")
        marked = marked.localCheckpoint(eager=True)
        returning = statement.args.get("returning")
        returned = None
        if returning is not None:
            expressions = [e.sql(dialect="spark") for e in returning.expressions]
            returned = marked.filter("`_hit`").selectExpr(*expressions).toArrow()
        kept = marked.filter("not `_hit`") if isinstance(statement, exp.Delete) else marked
        layout = self._layout(table)
        if layout.partitions:
            if set(changed) & set(layout.partitions):
                raise ValueError(
                    f"{table}: an update may not change its partition columns {layout.partitions}"
                )
            self._overwrite_partitions(table, marked, kept, layout)
        elif layout.in_lake:
            kept.drop("_hit").write.insertInto(table, overwrite=True)
        else:
            self.swap_in(table, kept.drop("_hit"))
        return returned

    def _overwrite_partitions(self, table: str, marked, kept, layout: _Layout) -> None:
        """Rewrite the partitions holding a row the statement hit with their rows ``kept``; empty those
        left without rows. The other partitions' files are not touched."""
        columns = list(layout.partitions)
        touched = marked.filter("`_hit`").select(*columns).distinct()
        # In the table's column order: an insert into a table goes by position.
        order = [c for c in marked.columns if c != "_hit"]
        rows = kept.join(touched, on=columns, how="left_semi").select(*order).localCheckpoint(eager=True)
        if rows.isEmpty() and marked.join(touched, on=columns, how="left_anti").isEmpty():
            self._empty_table(table, rows)
            return
        remaining = {tuple(row) for row in rows.select(*columns).distinct().collect()}
        if remaining:
            rows.write.insertInto(table, overwrite=True)
        emptied = [tuple(row) for row in touched.collect() if tuple(row) not in remaining]
        if emptied:
            self._empty_partitions(table, columns, emptied)

    def _empty_table(self, table: str, nothing) -> None:
        """Remove every partition of ``table`` in one overwrite (``nothing``: no rows, its columns); a
        static overwrite, as a dynamic one would replace no partition at all."""
        nothing.createOrReplaceTempView("_nothing")
        self.spark.conf.set(OVERWRITE_MODE, "static")
        try:
            self.spark.sql(f"insert overwrite table {table} select * from _nothing")
        finally:
            self.spark.conf.set(OVERWRITE_MODE, "dynamic")

    def _empty_partitions(self, table: str, columns: list[str], values: list[tuple]) -> None:
        """Remove the partitions ``values`` (of ``columns``): their files, which other readers of the lake
        would still see (the metastore leaves the files of a table in the lake where they are), then
        their entries. Written as SQL, so it works the same on a remote Spark and on any file system."""
        fields = [f for f in self.spark.table(table).schema.fields if f.name not in columns]
        self.spark.createDataFrame([], StructType(fields)).createOrReplaceTempView("_nothing")
        specs = [
            "partition (" + ", ".join(f"`{c}` = '{v}'" for c, v in zip(columns, row, strict=True)) + ")"
            for row in values
        ]
        for spec in specs:
            self.spark.sql(f"insert overwrite table {table} {spec} select * from _nothing")
        self.spark.sql(f"alter table {table} drop if exists {', '.join(specs)}")

    def swap_in(self, table: str, frame) -> None:
        """Write ``frame`` as ``table``'s next version, then put it in the table's place."""
        following = f"{table}{_NEXT}"
        self.spark.sql(f"drop table if exists {following}")
        frame.write.format("parquet").saveAsTable(following)
        self.spark.sql(f"drop table if exists {table}")
        self.spark.sql(f"alter table {following} rename to {table.split('.')[-1]}")


@dataclass(frozen=True)
class _Layout:
    in_lake: bool
    partitions: tuple[str, ...]


def _folder_or_uri(location: str) -> str:
    """A URI (s3a://...) as it is; a folder made absolute."""
    return location if "://" in location else str(absolute(location))


def _canonical(data_type) -> str:
    name = data_type.simpleString().upper()
    return canonical_type({"BIGINT": "BIGINT", "INT": "INTEGER"}.get(name, name))


# One Spark session per process, as pyspark allows, for one Spark at a time (`_KEY`); stopped, with its
# JVM when local, by `release`.
_SESSION = None
_KEY: str | None = None
# The metastore while another process (dbt) has it (`SparkEngine.lent_out`).
_LENT_TO: str | None = None


def _spark(engine: SparkEngine):
    global _SESSION, _KEY
    if _LENT_TO is not None:
        raise RuntimeError(
            f"the Spark metastore {_LENT_TO} is lent to another process (dbt) until its step ends: "
            "read or write the warehouse before or after the dbt command, not while it runs"
        )
    if _SESSION is not None and engine.location != _KEY:
        release()  # a local session's folders are fixed when its JVM starts
    if _SESSION is None:
        from pyspark.sql import SparkSession as PySparkSession

        if engine.remote:
            _SESSION = PySparkSession.builder.remote(engine.remote).getOrCreate()
            for key, value in engine.session_conf().items():
                _SESSION.conf.set(key, value)
        else:
            engine.warehouse_dir.mkdir(parents=True, exist_ok=True)
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            # pyspark marks the whole process as Spark Connect's once a remote session starts, and then
            # refuses to start a Spark of its own: a local session after a remote one must clear it.
            os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)
            builder = PySparkSession.builder.enableHiveSupport()
            for key, value in engine.conf().items():
                builder = builder.config(key, value)
            _SESSION = builder.getOrCreate()
            _SESSION.sparkContext.setLogLevel("ERROR")
        _KEY = engine.location
    return _SESSION


def release() -> None:
    """Stop this process's Spark session and its JVM, letting another process (dbt) open the metastore."""
    global _SESSION, _KEY
    if _SESSION is None:
        return
    from pyspark import SparkContext

    _SESSION.stop()
    _SESSION, _KEY = None, None
    gateway = SparkContext._gateway
    if gateway is not None:
        gateway.shutdown()
        # The JVM exits when its standard input closes.
        process = getattr(gateway, "proc", None)
        if process is not None:
            process.stdin.close()
            process.wait(timeout=60)
    SparkContext._gateway = None
    SparkContext._jvm = None
