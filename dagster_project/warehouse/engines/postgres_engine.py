"""PostgreSQL: the warehouse many BI set-ups already read.

Frames reach the server through ``COPY ... FROM STDIN`` (CSV written by Arrow),
not row-by-row inserts. A session is one connection in autocommit mode: the
writes open their transaction explicitly, like on DuckDB.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
import psycopg2
import psycopg2.extensions
import pyarrow as pa
import pyarrow.csv as pa_csv

from dagster_project.warehouse.dialect import arrow_sql_type, canonical_type, for_psycopg
from dagster_project.warehouse.engines.base import Engine, Session

# Arrow types of PostgreSQL's type oids (numeric is read with its declared precision).
_ARROW_TYPES = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    25: pa.string(),
    1042: pa.string(),
    1043: pa.string(),
    700: pa.float32(),
    701: pa.float64(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
}
_NUMERIC = 1700


class PostgresSession(Session):
    def __init__(self, connection: psycopg2.extensions.connection) -> None:
        self.connection = connection

    def translate(self, sql: str) -> str:
        return for_psycopg(sql)

    def run(self, sql: str, params: Sequence = (), native: bool = False) -> pa.Table | None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql if native else for_psycopg(sql), tuple(params))
            if cursor.description is None:
                return None
            rows = cursor.fetchall()
            # By position: two columns may share a name (`count`, `count`).
            return pa.Table.from_arrays(
                [
                    pa.array([row[i] for row in rows], _arrow_type(c, rows, i))
                    for i, c in enumerate(cursor.description)
                ],
                names=[column.name for column in cursor.description],
            )

    def load(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
        columns = ", ".join(f'"{f.name}" {arrow_sql_type(f.type)}' for f in table.schema)
        self.run(f"drop table if exists {name}")
        self.run(f"create temporary table {name} ({columns})")
        buffer = io.BytesIO()
        pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
        buffer.seek(0)
        with self.connection.cursor() as cursor:
            # Empty unquoted fields are nulls; Arrow quotes empty strings, so they stay strings.
            cursor.copy_expert(f"copy {name} from stdin with (format csv)", buffer)


def _arrow_type(column, rows: list[tuple], index: int) -> pa.DataType:
    if column.type_code == _NUMERIC:
        if column.precision and column.precision < 1000:
            return pa.decimal128(column.precision, column.scale or 0)
        # An unconstrained numeric (an average of decimals): Arrow infers the scale it needs.
        values = [row[index] for row in rows if row[index] is not None]
        return pa.array(values).type if values else pa.float64()
    return _ARROW_TYPES.get(column.type_code, pa.string())


@dataclass(frozen=True)
class PostgresEngine(Engine):
    """Connection fields as libpq takes them (host, port, user, password, dbname)."""

    host: str
    port: int
    user: str
    password: str
    dbname: str
    connect_timeout_seconds: int = 10
    name = "postgres"

    @classmethod
    def from_dsn(cls, dsn: str) -> PostgresEngine:
        """The fields of a libpq connection string or URL (``postgresql://user@host:5432/db``)."""
        fields = psycopg2.extensions.parse_dsn(dsn)
        return cls(
            host=fields.get("host", "127.0.0.1"),
            port=int(fields.get("port", 5432)),
            user=fields.get("user", "health"),
            password=fields.get("password", ""),
            dbname=fields.get("dbname", "customer_health"),
        )

    @property
    def location(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"

    @contextmanager
    def session(self, read_only: bool = False) -> Iterator[PostgresSession]:
        try:
            connection = psycopg2.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                dbname=self.dbname,
                connect_timeout=self.connect_timeout_seconds,
            )
        except psycopg2.OperationalError as error:
            raise ConnectionError(
                f"cannot reach the PostgreSQL warehouse {self.location}: {str(error).strip()}. Check "
                "HEALTH_PG_DSN (or HEALTH_PG_HOST, _PORT, _USER, _PASSWORD, _DATABASE) and that the "
                "server is up."
            ) from error
        connection.autocommit = True
        if read_only:
            connection.set_session(readonly=True, autocommit=True)
        try:
            yield PostgresSession(connection)
        finally:
            connection.close()

    def columns_in(self, session: Session, table: str) -> list[tuple[str, str]]:
        rows = session.fetchall(
            """select column_name, data_type, numeric_precision, numeric_scale
               from information_schema.columns
               where table_schema || '.' || table_name = ? order by ordinal_position""",
            [table],
        )
        return [
            (name, canonical_type(_with_precision(type_, precision, scale)))
            for name, type_, precision, scale in rows
        ]

    def tables(self) -> list[tuple[str, str]]:
        with self.session(read_only=True) as session:
            found = session.fetchall(
                """select table_schema, table_name from information_schema.tables
                   where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2"""
            )
        return [(schema, name) for schema, name in found if not schema.startswith("pg_") and name[0] != "_"]

    def hash_sum_sql(self, relation: str) -> str:
        # The first 60 bits of the md5 of the row's text, as a number.
        hashed = f"('x' || substr(md5(cast({relation} as text)), 1, 15))::bit(60)::bigint"
        return f"cast(sum({hashed}) as text)"

    def dbt_env(self) -> dict[str, str]:
        return {
            **super().dbt_env(),
            "HEALTH_PG_HOST": self.host,
            "HEALTH_PG_PORT": str(self.port),
            "HEALTH_PG_USER": self.user,
            "HEALTH_PG_PASSWORD": self.password,
            "HEALTH_PG_DATABASE": self.dbname,
        }


def _with_precision(type_: str, precision: int | None, scale: int | None) -> str:
    if type_ == "numeric" and precision is not None:
        return f"DECIMAL({precision}, {scale or 0})"
    return type_
