"""The lineage rules of alpha_dagster.lib.lineage and code versions, on a three-asset toy graph.

``prices`` (monthly) -> ``signal`` (month m reads prices m-1..m) -> ``summary`` (unpartitioned,
reads every month). Asset bodies go through ``versioned`` as the project's assets do.
"""

import dagster as dg
import pandas as pd
import pytest

from alpha_dagster.defs.assets.data import versioned
from alpha_dagster.lib.code_version import SourceTree, with_code_version
from alpha_dagster.lib.lineage import LineageResolver, reads_of
from alpha_dagster.lib.staleness import stale_partitions

MONTHLY = dg.MonthlyPartitionsDefinition(start_date="2020-01-01", end_date="2020-05-01")
MONTHS = ["2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01"]
RANGE = {"dagster/asset_partition_range_start": MONTHS[0], "dagster/asset_partition_range_end": MONTHS[-1]}


def _graph(values: dict[str, float]):
    """The toy assets; ``values`` holds each month's price (what a vendor would send)."""

    @dg.asset(partitions_def=MONTHLY, backfill_policy=dg.BackfillPolicy.single_run(), io_manager_key="mem")
    def prices(context: dg.AssetExecutionContext) -> dg.Output[pd.DataFrame]:
        rows = [{"date": pd.Timestamp(m) + pd.Timedelta(days=1), "price": values[m]} for m in context.partition_keys]
        return versioned(pd.DataFrame(rows), context)

    @dg.asset(
        partitions_def=MONTHLY,
        io_manager_key="mem",
        deps=[dg.AssetDep(prices, partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1))],
    )
    def signal(context: dg.AssetExecutionContext) -> dg.Output[pd.DataFrame]:
        return versioned(pd.DataFrame({"date": [pd.Timestamp(context.partition_key)], "x": [1.0]}), context)

    @dg.asset(deps=[dg.AssetDep(signal, partition_mapping=dg.AllPartitionMapping())], io_manager_key="mem")
    def summary() -> dg.Output[pd.DataFrame]:
        return versioned(pd.DataFrame({"n": [1]}))

    return [prices, signal, summary]


def _materialize(assets, instance, selection, key=None, whole=False):
    res = dg.materialize(
        assets,
        selection=selection,
        partition_key=key,
        instance=instance,
        tags=RANGE if whole else {},
        resources={"mem": dg.InMemoryIOManager()},
    )
    assert res.success


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def _build(instance, values):
    assets = _graph(values)
    _materialize(assets, instance, ["prices"], whole=True)
    for m in MONTHS:
        _materialize(assets, instance, ["signal"], key=m)
    _materialize(assets, instance, ["summary"])
    return assets


def test_a_partition_records_the_versions_of_exactly_the_partitions_its_mapping_reads(instance):
    _build(instance, dict.fromkeys(MONTHS, 1.0))
    reads = reads_of(instance, "signal", "2020-03-01")
    assert set(reads) == {"prices"} and sorted(reads["prices"]) == ["2020-02-01", "2020-03-01"]
    first = reads_of(instance, "signal", "2020-01-01")["prices"]
    assert list(first) == ["2020-01-01"]  # the month before the first partition does not exist
    assert sorted(reads_of(instance, "summary", "(unpartitioned)")["signal"]) == MONTHS


def test_identical_content_gives_the_same_version_in_a_range_run_and_a_one_partition_run(instance):
    assets = _build(instance, dict.fromkeys(MONTHS, 1.0))
    before = reads_of(instance, "signal", "2020-03-01")["prices"]["2020-03-01"]
    _materialize(assets, instance, ["prices"], key="2020-03-01")  # the vendor resends March unchanged
    resolver = LineageResolver(instance, assets)
    assert resolver.stale(dg.AssetKey("signal")) == [] and resolver.stale(dg.AssetKey("summary")) == []
    _materialize(assets, instance, ["prices"], whole=True)  # and then the whole range, unchanged
    assert LineageResolver(instance, assets).stale(dg.AssetKey("signal")) == []
    tags = (
        instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("prices"), asset_partitions=["2020-03-01"]), limit=1
        )
        .records[0]
        .asset_materialization
    )
    assert tags.metadata["partition_digests"].value["2020-03-01"] == before


def test_a_corrected_month_stales_its_readers_and_their_readers(instance):
    values = dict.fromkeys(MONTHS, 1.0)
    assets = _build(instance, values)
    values["2020-02-01"] = 2.0  # the vendor corrects February
    assets = _graph(values)
    _materialize(assets, instance, ["prices"], key="2020-02-01")
    resolver = LineageResolver(instance, assets)
    assert resolver.stale(dg.AssetKey("prices")) == []
    assert resolver.stale(dg.AssetKey("signal")) == ["2020-02-01", "2020-03-01"]  # m reads m-1..m
    assert resolver.stale(dg.AssetKey("summary")) == ["(unpartitioned)"]  # through its stale inputs
    _materialize(assets, instance, ["signal"], key="2020-02-01")
    assert LineageResolver(instance, assets).stale(dg.AssetKey("signal")) == ["2020-03-01"]


def test_a_new_code_version_stales_the_asset_and_everything_that_read_it(instance):
    assets = [
        a.map_asset_specs(lambda s: s.replace_attributes(code_version="v1")) for a in _graph(dict.fromkeys(MONTHS, 1.0))
    ]
    _materialize(assets, instance, ["prices"], whole=True)
    for m in MONTHS:
        _materialize(assets, instance, ["signal"], key=m)
    assert stale_partitions(instance, dg.Definitions(assets=assets), "signal") == []
    changed = [
        a.map_asset_specs(lambda s: s.replace_attributes(code_version="v2")) if a.key == dg.AssetKey("prices") else a
        for a in assets
    ]
    assert stale_partitions(instance, dg.Definitions(assets=changed), "prices") == MONTHS
    assert stale_partitions(instance, dg.Definitions(assets=changed), "signal") == MONTHS


def _package(root, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_a_code_version_follows_exactly_the_modules_an_asset_module_imports(tmp_path):
    _package(
        tmp_path,
        {
            "alpha_core/__init__.py": "",
            "alpha_core/maths.py": "X = 1\n",
            "alpha_core/other.py": "Y = 1\n",
            "alpha_core/deep.py": "Z = 1\n",
            "alpha_core/mid.py": "def f():\n    from alpha_core import deep\n",
            "alpha_dagster/__init__.py": "",
            "alpha_dagster/assets.py": "import pandas\nfrom alpha_core.maths import X\nimport alpha_core.mid\n",
        },
    )
    tree = SourceTree(tmp_path)
    base = tree.version("alpha_dagster.assets")
    assert {p.name for p in tree.closure("alpha_dagster.assets")} == {
        "assets.py",
        "__init__.py",
        "maths.py",
        "mid.py",
        "deep.py",
    }
    (tmp_path / "alpha_core/other.py").write_text("Y = 2\n")  # not imported: same version
    assert SourceTree(tmp_path).version("alpha_dagster.assets") == base
    (tmp_path / "alpha_core/deep.py").write_text("Z = 2\n")  # imported inside a function, two hops away
    assert SourceTree(tmp_path).version("alpha_dagster.assets") != base


def test_with_code_version_sets_the_version_on_every_asset_key(tmp_path):
    _package(tmp_path, {"alpha_dagster/__init__.py": "", "alpha_dagster/m.py": "A = 1\n"})
    tree = SourceTree(tmp_path)
    out = with_code_version(_graph(dict.fromkeys(MONTHS, 1.0)), "alpha_dagster.m", tree)
    assert {s.code_version for a in out for s in a.specs} == {tree.version("alpha_dagster.m")}
