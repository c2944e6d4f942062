"""dbt on a Spark server whose Thrift port drops connections as they open (a busy server, a cluster
starting up): dbt connects again (dbt/profiles.yml, `connect_retries` and `retry_all`) instead of
failing the node with PyHive's "TSocket read 0 bytes", as one of CI's runs did."""

from __future__ import annotations

import re

import pytest

from tests.dbt_scenarios import run_dbt
from tests.engines import SparkServer, dropping_proxy

SELECT_ONE = ["show", "--inline", "select 1 as one", "--target", "spark"]


@pytest.fixture
def through_proxy(spark_server, monkeypatch, tmp_path):
    """dbt's settings for the server, its port to be set per test; a second apart between tries."""
    for name, value in spark_server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HEALTH_SPARK_CONNECT_TIMEOUT", "1")
    return tmp_path / "warehouse.duckdb"  # where run_dbt keeps dbt's target folder


def test_dbt_connects_again_when_the_server_drops_its_first_connections(
    spark_server, through_proxy, monkeypatch
):
    with dropping_proxy(spark_server.thrift_port, drops=2) as proxy:
        monkeypatch.setenv("HEALTH_SPARK_PORT", str(proxy.port))
        shown = run_dbt(through_proxy, SELECT_ONE)
    assert re.search(r"\|\s*one\s*\|\s*\n\|[\s-]+\|\s*\n\|\s*1\s*\|", shown), shown
    assert proxy.connections > 2  # dbt opens several: the first two were dropped


def test_without_tries_left_the_dropped_connection_fails_dbt(spark_server, through_proxy, monkeypatch):
    with dropping_proxy(spark_server.thrift_port, drops=1) as proxy:
        monkeypatch.setenv("HEALTH_SPARK_PORT", str(proxy.port))
        monkeypatch.setenv("HEALTH_SPARK_CONNECT_RETRIES", "0")
        with pytest.raises(AssertionError, match="failed to connect: TTransportException"):
            run_dbt(through_proxy, SELECT_ONE)


def test_a_failing_test_is_shown_the_errors_of_the_servers_log(tmp_path):
    """What tests/conftest.py adds to the report of a failing test that used a Spark server."""
    log = tmp_path / "server.log"
    log.write_text(
        "26/12/07 10:00:01 WARN Utils: Your hostname resolves to a loopback address\n"
        "26/12/07 10:00:02 INFO HiveThriftServer2: Started\n"
        "26/12/07 10:05:09 ERROR TThreadPoolServer: Thrift Error occurred during processing of message.\n"
        "org.apache.thrift.transport.TTransportException: java.net.SocketException: Connection reset\n"
        "\tat org.apache.thrift.transport.TIOStreamTransport.read(TIOStreamTransport.java:127)\n"
        "Caused by: java.net.SocketException: Connection reset\n"
        "\t... 4 more\n"
        "26/12/07 10:05:10 INFO SparkExecuteStatementOperation: Submitting query\n"
    )
    server = SparkServer(thrift_port=1, connect_port=2, lake=tmp_path / "lake", log=log)
    assert server.log_errors().splitlines() == [
        "26/12/07 10:05:09 ERROR TThreadPoolServer: Thrift Error occurred during processing of message.",
        "org.apache.thrift.transport.TTransportException: java.net.SocketException: Connection reset",
        "\tat org.apache.thrift.transport.TIOStreamTransport.read(TIOStreamTransport.java:127)",
        "Caused by: java.net.SocketException: Connection reset",
        "\t... 4 more",
    ]
    assert (
        server.log_errors(most=2).splitlines()[0] == "Caused by: java.net.SocketException: Connection reset"
    )
    log.write_text("26/12/07 10:00:02 INFO HiveThriftServer2: Started\n")
    assert server.log_errors() == f"(no error in {log})"
