"""deploy/dagster-postgres.yaml against a real PostgreSQL server started by the test.

The profile is copied verbatim into a temporary DAGSTER_HOME, its ``{env: ...}`` values set to
the throwaway server; a monthly-partitioned asset is materialised (through the project's
ParquetIOManager) for two partitions; a *fresh* instance then reads the materializations back,
and the rows are checked directly in the Postgres tables (so SQLite was not silently used).
"""

import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from pg_server import start_postgres

from alpha_dagster.defs.partitions import window_bounds
from alpha_dagster.lib.io_manager import ParquetIOManager

pytestmark = [pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "deploy" / "dagster-postgres.yaml"
MONTHLY = dg.MonthlyPartitionsDefinition(start_date="2020-01-01", end_date="2020-04-01")


@dg.asset(partitions_def=MONTHLY)
def pg_bars(context: dg.AssetExecutionContext) -> pd.DataFrame:
    start, end = window_bounds(context)
    days = pd.bdate_range(start, end)
    return pd.DataFrame({"date": days, "code": "SH600000", "close": 10.0})


@pytest.fixture(scope="module")
def postgres():
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_dagster_home(postgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = postgres.create_database(f"dagster_{tmp_path.name.lower().replace('-', '_')[:40]}")
    for key, value in {**postgres.env, "DAGSTER_PG_DB": db}.items():
        monkeypatch.setenv(key, value)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROFILE, home / "dagster.yaml")
    return home


def test_postgres_profile_stores_and_reads_back_partition_materializations(postgres, pg_dagster_home, tmp_path):
    alpha_home = tmp_path / "alpha_home"
    instance = dg.DagsterInstance.from_config(str(pg_dagster_home))
    try:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        for key in ["2020-01-01", "2020-02-01"]:
            result = dg.materialize(
                [pg_bars],
                instance=instance,
                partition_key=key,
                resources={"io_manager": ParquetIOManager(home=str(alpha_home))},
            )
            assert result.success
    finally:
        instance.dispose()

    # A new instance object (as another process would build it) sees what the first wrote.
    reader = dg.DagsterInstance.from_config(str(pg_dagster_home))
    try:
        key = dg.AssetKey("pg_bars")
        assert reader.get_materialized_partitions(key) == {"2020-01-01", "2020-02-01"}
        event = reader.get_latest_materialization_event(key)
        materialization = event.asset_materialization
        assert materialization.partition == "2020-02-01"
        assert materialization.metadata["rows"].value == len(pd.bdate_range("2020-02-01", "2020-02-29"))
        run = reader.get_run_by_id(event.run_id)
        assert run.tags["dagster/partition"] == "2020-02-01"
        assert run.is_success
    finally:
        reader.dispose()

    con = postgres.connect(dbname=_db_name())
    try:
        with con.cursor() as cur:
            cur.execute("SELECT count(*) FROM runs")
            assert cur.fetchone()[0] == 2
            cur.execute(
                "SELECT partition FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION' "
                "AND asset_key = %s ORDER BY partition",
                [key.to_string()],
            )
            assert [r[0] for r in cur.fetchall()] == ["2020-01-01", "2020-02-01"]
    finally:
        con.close()
    assert sorted(p.name for p in (alpha_home / "pg_bars").glob("*.parquet")) == [
        "2020-01-01.parquet",
        "2020-02-01.parquet",
    ]


def _db_name() -> str:
    import os

    return os.environ["DAGSTER_PG_DB"]
