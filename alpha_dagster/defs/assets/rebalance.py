"""Weekly rebalance: ``target_orders`` (what a trader executes), its job and its schedule.

``target_orders`` is monthly-partitioned like the bars: a run for month m rebalances on the
latest trading day of m that the bars hold (or ``as_of``), and rewrites only that date's rows
of the month's file, so reruns are idempotent and the month keeps its weekly history.

What month m reads (each a declared input; lineage records the partitions actually read,
:mod:`alpha_dagster.lib.lineage`):

- ``raw_bars`` and ``factor_table``: the :data:`HISTORY_CALENDAR_DAYS` calendar days before m
  and m itself (sequence models' history), i.e. months m - :data:`HISTORY_MONTHS` .. m
  (deps with that lookback; read through the store, month by month);
- ``universe`` and ``index_weights`` of m, ``industry_map`` (ins);
- ``model_checkpoint``: one partition, the latest fold of the model whose first test date is on
  or before the decision day (read from ``ALPHA_HOME/checkpoints``; recorded as that
  ``fold|model`` key);
- ``adjacency`` / ``macro_series``: only when the model's spec needs them (else recorded as
  read-nothing);
- its own past output, for the current holdings (the latest rebalance before the decision day):
  m's own earlier rows (its own state, rewritten by this run, so not recorded as a read), else
  month m-1 (the declared self-dependency) and, only when m-1 holds no rebalance (a month
  skipped), the months before it, newest first, until one does; every earlier month looked at
  is recorded.
"""

import dataclasses
import datetime as dt
from collections.abc import Mapping

import dagster as dg
import pandas as pd

from alpha_core.errors import DataContractError
from alpha_core.portfolio.presets import PRESETS, PresetName
from alpha_core.portfolio.rebalance import rebalance
from alpha_core.portfolio.ticket import DEFAULT_CAPITAL, order_ticket
from alpha_core.reports.tears import markdown_table
from alpha_core.store.parquet import ParquetStore
from alpha_core.training.checkpoint import load_checkpoint
from alpha_core.training.coverage import feature_coverage, require_features
from alpha_core.training.inputs import ModelTables, prepare_fold_inputs
from alpha_core.training.scoring import latest_checkpoint_dir, score_days_ensemble
from alpha_core.training.specs import MODEL_SPECS, FeatureSet, ModelSpec, get_spec
from alpha_dagster.defs.assets.data import versioned
from alpha_dagster.defs.assets.models import CHECKPOINTS
from alpha_dagster.defs.partitions import PartitionScheme, lookback, partitions_between, window_bounds
from alpha_dagster.lib.lineage import UNPARTITIONED
from alpha_dagster.lib.resources import AlphaStore

REBALANCE_GROUP = "rebalance"
LIVE_INPUTS = ["raw_bars", "index_weights", "universe", "factor_table"]
HISTORY_CALENDAR_DAYS = 200  # > 80 trading days + holidays: the longest sequence input (R3)


def months_reaching(days: int) -> int:
    """How many months before a month ``days`` calendar days before its first day can fall in
    (the worst case over every month start of a leap cycle): the monthly lookback of a
    ``days``-day history."""
    starts = pd.date_range("2000-01-01", periods=48, freq="MS")
    return max((s.to_period("M") - (s - pd.Timedelta(days=days)).to_period("M")).n for s in starts)


HISTORY_MONTHS = months_reaching(HISTORY_CALENDAR_DAYS)  # 200 days: 7 (six months span at most 184 days)


class RebalanceConfig(dg.Config):
    """model: whose latest checkpoint scores the day; preset: the constraints (a :class:`PresetName`
    name: R1 / R2 / R3);
    as_of: decision day (ISO date; default the latest trading day of the partition);
    capital: portfolio capital in CNY that the order ticket sizes share orders for."""

    model: str = "gat_residual"
    preset: PresetName = PresetName.R1
    as_of: str | None = None
    capital: float = DEFAULT_CAPITAL


def _largest_trades(orders: pd.DataFrame, n: int = 15) -> str:
    top = orders.reindex(orders["trade"].abs().sort_values(ascending=False).index).head(n)
    cols = ["current_weight", "target_weight", "executable_weight", "trade_shares", "notional", "blocked_reason"]
    return markdown_table(top.set_index("code")[cols], percent=set(), digits=4)


def build_rebalance_assets(
    scheme: PartitionScheme, index_code: str, specs: Mapping[str, ModelSpec] = MODEL_SPECS
) -> list[dg.AssetsDefinition]:
    """``target_orders`` scoring with the latest checkpoint of a model of ``specs``."""

    @dg.asset(
        group_name=REBALANCE_GROUP,
        partitions_def=scheme.monthly,
        # One run per month: a run rebalances one decision day (a range run would blank other months).
        backfill_policy=dg.BackfillPolicy.multi_run(1),
        kinds={"parquet"},
        # Read through the store (module docstring); versioned's reads name the partitions read.
        deps=[
            dg.AssetDep("model_checkpoint", partition_mapping=dg.AllPartitionMapping()),  # one: the latest fold
            dg.AssetDep("raw_bars", partition_mapping=lookback(HISTORY_MONTHS)),
            dg.AssetDep("factor_table", partition_mapping=lookback(HISTORY_MONTHS)),
            dg.AssetDep("adjacency"),
            dg.AssetDep("macro_series"),  # only for the specs that need them
            # the previous month's orders: the holdings a month's first rebalance starts from
            dg.AssetDep(
                "target_orders", partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
            ),
        ],
        description="Target orders of the weekly rebalance: per stock the current weight, the optimiser's target, "
        "the trade, what can execute today, and why a trade is blocked (suspended, one-price limit).",
    )
    def target_orders(
        context: dg.AssetExecutionContext,
        config: RebalanceConfig,
        alpha_store: AlphaStore,
        index_weights: pd.DataFrame,
        universe: pd.DataFrame,
        industry_map: pd.DataFrame,
    ) -> dg.Output[pd.DataFrame]:
        start, end = window_bounds(context)
        store = alpha_store.store
        # Sequence models (R2/R3) read up to 80 trading days of history before the decision day.
        first = start - pd.Timedelta(days=HISTORY_CALENDAR_DAYS)
        months = partitions_between(scheme.monthly, first, end)
        bars = store.read("raw_bars", months, start=first, end=end)
        day = pd.Timestamp(config.as_of) if config.as_of else bars["date"].max()
        if pd.isna(day) or not (start <= day <= end):
            raise dg.Failure(f"decision day {day} is not in partition {context.partition_key} (bars end {end.date()})")
        bars = bars[bars["date"] <= day]
        factors = store.read("factor_table", months, start=first, end=day)
        ckpt_dir = latest_checkpoint_dir(alpha_store.path / CHECKPOINTS, config.model, day)
        if ckpt_dir is None:
            raise dg.Failure(
                f"no trained checkpoint of {config.model} with a fold starting on or before {day.date()}: "
                "backfill model_checkpoint first"
            )
        fold = ckpt_dir.name.split("=", 1)[1]  # the one model_checkpoint partition read: fold|model
        checkpoint = load_checkpoint(ckpt_dir, specs)
        spec = get_spec(config.model, specs)
        trained_on = checkpoint.meta.get("extra", {}).get("feature_set")
        if trained_on and trained_on != str(spec.feature_set):  # the checkpoint's own feature set
            spec = dataclasses.replace(spec, feature_set=FeatureSet(trained_on))
        tables = ModelTables(
            factor_table=factors,
            labels=None,  # the decision day is scored, never labelled
            universe=universe[universe["date"] == day],
            raw_bars=bars,
            industry_map=industry_map,
            adjacency=store.read("adjacency") if spec.inputs.needs_adjacency else None,
            macro_series=store.read("macro_series") if spec.inputs.needs_macro else None,
        )
        train_cov = checkpoint.meta.get("extra", {}).get("train_coverage")
        if train_cov:  # vanishing features: trained on, (nearly) absent today -> no orders published
            members = universe.loc[(universe["date"] == day) & universe[spec.universe].astype(bool), ["date", "code"]]
            try:
                require_features(
                    train_cov,
                    feature_coverage(factors, list(train_cov), [day], members),
                    where=f"target_orders {day.date()} ({config.model}, fold {ckpt_dir.name})",
                )
            except DataContractError as exc:
                raise dg.Failure(description=str(exc)) from exc
        scores = score_days_ensemble(ckpt_dir, prepare_fold_inputs(spec, tables), [day], checkpoint)
        own = store.read("target_orders", [context.partition_key], missing_ok=True)
        last, past_months = _previous_rebalance(store, scheme.monthly, context.partition_key, own, day)
        current = last["executable_weight"] if last is not None else pd.Series(dtype=float)
        held = last["target_shares"] if last is not None and "target_shares" in last else None
        bars_day = bars[bars["date"] == day]
        result = rebalance(
            day,
            scores,
            current,
            bars_day,
            index_weights,
            industry_map,
            PRESETS[config.preset],
            index_code,
            factors_day=factors[factors["date"] == day],
        )
        try:
            ticket = order_ticket(result.orders, bars_day, config.capital, held)
        except ValueError as exc:
            raise dg.Failure(description=f"target_orders {day.date()}: {exc}") from exc
        month = own[(own["date"] >= start) & (own["date"] <= end) & (own["date"] != day)] if len(own) else own
        out = pd.concat([month, ticket] if len(month) else [ticket], ignore_index=True).sort_values(
            ["date", "code"], ignore_index=True
        )
        out["blocked_reason"] = out["blocked_reason"].astype("string")  # one Parquet type, null or not
        csv = store.write_csv("target_orders", ticket, context.partition_key)
        context.log.info("rebalance %s with %s (fold %s): %s", day.date(), config.model, ckpt_dir.name, result.summary)
        return versioned(
            out,
            reads={
                "raw_bars": months,
                "factor_table": months,
                "model_checkpoint": [str(dg.MultiPartitionKey({"fold": fold, "model": config.model}))],
                "adjacency": [UNPARTITIONED] if spec.inputs.needs_adjacency else [],
                "macro_series": [UNPARTITIONED] if spec.inputs.needs_macro else [],
                "target_orders": past_months,
            },
            decision_day=str(day.date()),
            model=config.model,
            checkpoint=dg.MetadataValue.path(str(ckpt_dir)),
            summary=dg.MetadataValue.json(result.summary),
            turnover=dg.MetadataValue.float(result.summary["turnover_target"]),
            blocked=int(result.summary["blocked"]),
            relaxed=str(result.summary["relaxed"]),
            capital=float(config.capital),
            cash_residual=float(ticket["cash_residual"].iloc[0]) if len(ticket) else float(config.capital),
            ticket_csv=dg.MetadataValue.path(str(csv)),
            largest_trades=dg.MetadataValue.md(_largest_trades(ticket)),
        )

    return [target_orders]


def _latest_before(orders: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame | None:
    """The rows (indexed by code) of the latest rebalance of ``orders`` before ``day``; None if none."""
    before = orders[orders["date"] < day] if len(orders) else orders
    return before[before["date"] == before["date"].max()].set_index("code") if len(before) else None


def _previous_rebalance(
    store: ParquetStore, monthly: dg.MonthlyPartitionsDefinition, month: str, own: pd.DataFrame, day: pd.Timestamp
) -> tuple[pd.DataFrame | None, list[str]]:
    """(the latest rebalance before ``day``, or None: start from cash; the earlier months of
    ``target_orders`` read to find it).

    ``own``: the rows of ``month`` itself, looked at first. Else the months before it, newest
    first, until one holds a rebalance: ordinarily just the previous month; further back only
    after a month without any (the whole history when there was never a rebalance)."""
    last = _latest_before(own, day)
    read: list[str] = []
    if last is None:
        for key in reversed([k for k in monthly.get_partition_keys() if pd.Timestamp(k) < pd.Timestamp(month)]):
            read.append(key)
            last = _latest_before(store.read("target_orders", [key], missing_ok=True), day)
            if last is not None:
                break
    return last, read


def build_rebalance_job(scheme: PartitionScheme):
    """Bars up to the latest day, universe and factors of that month, then target orders."""
    return dg.define_asset_job(
        "weekly_rebalance",
        selection=dg.AssetSelection.assets(*LIVE_INPUTS, "target_orders"),
        partitions_def=scheme.monthly,
        description="After Friday's close: refresh the month's bars, universe and factors, score with the latest "
        "fold's checkpoint, optimise from the current holdings, write target_orders.",
        tags={"alpha/stage": "rebalance"},
    )


def build_rebalance_schedule(job, scheme: PartitionScheme) -> dg.ScheduleDefinition:
    keys = set(scheme.monthly.get_partition_keys())

    @dg.schedule(
        job=job,
        cron_schedule="0 17 * * 5",
        execution_timezone="Asia/Shanghai",
        name="weekly_rebalance_schedule",
        description="Fridays 17:00 Asia/Shanghai (after the close and the vendor's end-of-day files).",
    )
    def weekly_rebalance_schedule(context: dg.ScheduleEvaluationContext):
        when = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
        month = pd.Timestamp(when).tz_localize(None).to_period("M").to_timestamp().strftime("%Y-%m-%d")
        if month not in keys:
            return dg.SkipReason(f"no monthly partition {month}: the data source's calendar ends before it")
        return dg.RunRequest(run_key=pd.Timestamp(when).strftime("%Y-%m-%d"), partition_key=month)

    return weekly_rebalance_schedule
