"""Daily A-share backtest: target weights -> executed trades -> NAV, costs, turnover.

Timing (no look-ahead): a weight row dated T (the decision day; it may use data up to T's
close) is executed ``lag`` trading days later (default 1: T+1) at that day's fill price
(:class:`~alpha_core.backtest.costs.FillPrice`: vwap by default). ``lag=0`` is allowed only
with ``FillPrice.CLOSE`` (trade at T's own close); vwap/open of T precede T's close.

Accounting, per stock value v (N,) held at the previous close, all prices ADJUSTED
(raw * adj_factor, so dividends and splits are total-return neutral) and forward-filled
through suspensions (P_t):

* ordinary day:   v <- v * P_t / P_{t-1}
* execution day:  v_fill = v * F_t / P_{t-1}  (F_t the adjusted fill price; untradable
  names use P_t / P_{t-1} and are locked); NAV_pre = sum v_fill + cash; the A-share rules
  (:func:`~alpha_core.backtest.rules.execute_weights`) turn the target into executed weights
  w_e; locked names keep v_fill; free names get x_f * B with x_f = w_e,f / sum w_e,free and
  budget B = NAV_pre * sum(w_e,free) - cost, where cost = buy_rate * sum buys + sell_rate *
  sum sells of the free trades (solved by fixed-point iteration, exact to 1e-12 since the
  rates are << 1); cash = NAV_pre * (1 - sum w_e). After the fill: v <- v * P_t / F_t.
* NAV_t = sum v + cash; return r_t = NAV_t / NAV_{t-1} - 1; cash earns nothing.

Turnover of a rebalance (two-way) = sum_i |traded value_i| / NAV_pre; one-way = half of it.
Stocks that stop trading for good (delisted) keep their last price and cannot be sold.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alpha_core.backtest.costs import CostModel, FillPrice
from alpha_core.backtest.rules import execute_weights, trade_masks
from alpha_core.data.panel import Panel
from alpha_core.errors import DataContractError, Location

log = logging.getLogger(__name__)

PANEL_FIELDS = ("open", "high", "low", "close", "vwap", "adj_factor", "tradable", "limit_up", "limit_down")
DAILY_COLUMNS = [
    "date",
    "nav",
    "ret",
    "bench_ret",
    "excess_ret",
    "cost",
    "turnover",
    "cash_weight",
    "n_holdings",
    "blocked_weight",
]


@dataclass(frozen=True)
class BacktestConfig:
    """How trades are executed and charged.

    Attributes:
        costs: cost model (R1/R3 ``CostModel.one_way(0.002)``, R2 ``CostModel.two_way(0.003)``).
        fill: fill price on the execution day.
        lag: trading days between the decision day and the execution day (>= 1 unless fill is CLOSE).
        cost_iterations: fixed-point iterations of the cost/budget equation.
    """

    costs: CostModel = field(default_factory=lambda: CostModel.one_way(0.002))
    fill: FillPrice = FillPrice.VWAP
    lag: int = 1
    cost_iterations: int = 8

    def __post_init__(self) -> None:
        if self.lag < 0 or (self.lag == 0 and self.fill != FillPrice.CLOSE):
            raise ValueError(
                f"lag={self.lag} with fill={self.fill} trades before the decision is known "
                "(look-ahead); use lag >= 1 or fill=close"
            )


@dataclass(frozen=True)
class BacktestResult:
    """Output of :func:`run_backtest`.

    Attributes:
        daily: one row per trading day from the first execution day, columns :data:`DAILY_COLUMNS`
            (``cost`` and ``turnover`` (two-way) as fractions of the pre-trade NAV; ``blocked_weight``:
            half the |target - executed| weight that the rules blocked).
        holdings: [date, code, weight] after each execution day's close (weights of NAV).
        trades: one row per rebalance: decision_date, date (execution), turnover, cost,
            blocked_weight, n_locked.
    """

    daily: pd.DataFrame
    holdings: pd.DataFrame
    trades: pd.DataFrame


def bars_panel(bars: pd.DataFrame) -> Panel:
    """Pivot contract bars into the (T, N) arrays the engine needs (one pass)."""
    missing = [c for c in ("date", "code", *PANEL_FIELDS) if c not in bars.columns]
    if missing:
        raise DataContractError(f"bars lack columns {missing}", Location(column=missing[0]))
    return Panel.from_long(bars, PANEL_FIELDS)


def benchmark_returns(index_levels: pd.DataFrame, index_code: str, dates: pd.DatetimeIndex) -> np.ndarray:
    """(T,) daily index returns on ``dates`` from contract index_levels (first day 0)."""
    lv = index_levels[index_levels["index_code"] == index_code].set_index("date")["close"].sort_index()
    if lv.empty:
        raise DataContractError(f"no levels for benchmark {index_code}", Location(column="index_code"))
    lv = lv.reindex(dates).ffill()
    return np.nan_to_num(lv.pct_change().to_numpy(), nan=0.0)


def _targets(weights: pd.DataFrame, panel: Panel, lag: int) -> dict[int, tuple[pd.Timestamp, np.ndarray]]:
    """Execution day index -> (decision date, (N,) target weights)."""
    unknown = ~weights["code"].isin(panel.codes)
    if unknown.any():
        log.warning(
            "dropping %d weight rows of %d codes without bars (e.g. %s)",
            int(unknown.sum()),
            weights.loc[unknown, "code"].nunique(),
            weights.loc[unknown, "code"].iloc[0],
        )
        weights = weights[~unknown]
    out: dict[int, tuple[pd.Timestamp, np.ndarray]] = {}
    n = len(panel.codes)
    for day, grp in weights.groupby("date", sort=True):
        first = int(panel.dates.searchsorted(day, side="left"))  # first trading day >= decision day
        on_trading_day = first < len(panel.dates) and panel.dates[first] == day
        # decided on trading day j -> executes on j + lag; decided on a holiday -> the next
        # trading day counts as the first day after the decision
        ex = first if lag == 0 else first + lag - (0 if on_trading_day else 1)
        if ex >= len(panel.dates):
            log.info("decision %s executes after the last bar; ignored", pd.Timestamp(day).date())
            continue
        w = np.zeros(n)
        w[panel.codes.get_indexer(grp["code"])] = grp["weight"].to_numpy(dtype=float)
        if (w < -1e-12).any() or w.sum() > 1 + 1e-6:
            raise DataContractError(
                "target weights must be >= 0 and sum to <= 1",
                Location(column="weight", date=str(pd.Timestamp(day).date())),
            )
        out[ex] = (pd.Timestamp(day), w.clip(min=0))
    return out


def run_backtest(
    bars: pd.DataFrame | Panel,
    weights: pd.DataFrame,
    config: BacktestConfig = BacktestConfig(),
    *,
    bench_ret: np.ndarray | pd.Series | None = None,
    initial_nav: float = 1.0,
) -> BacktestResult:
    """Simulate ``weights`` [date, code, weight] (decision dates) on daily ``bars``.

    Args:
        bars: contract bars, or their :func:`bars_panel` (pivot once, reuse across strategies).
        weights: target weights per decision date; each date's weights sum to <= 1 (rest cash).
        config: execution and cost settings.
        bench_ret: daily benchmark returns aligned to the panel dates (array (T,)) or a Series
            indexed by date (missing days -> 0); None -> 0 (excess = absolute).
    Returns:
        :class:`BacktestResult`.
    """
    panel = bars if isinstance(bars, Panel) else bars_panel(bars)
    dates, codes = panel.dates, panel.codes
    t_len, n = panel.shape
    adj = panel["adj_factor"]
    price = pd.DataFrame(panel["close"] * adj).ffill().to_numpy()  # valuation price, carried through gaps
    fill = panel[str(config.fill)] * adj
    can_buy, can_sell = trade_masks(
        np.nan_to_num(panel["tradable"]) > 0,
        fill,
        panel["open"],
        panel["high"],
        panel["low"],
        panel["close"],
        panel["limit_up"],
        panel["limit_down"],
    )
    if isinstance(bench_ret, pd.Series):
        bench = bench_ret.reindex(dates).fillna(0.0).to_numpy(dtype=float)
    else:
        bench = np.zeros(t_len) if bench_ret is None else np.asarray(bench_ret, dtype=float)
        if bench.shape != (t_len,):
            raise ValueError(f"bench_ret has shape {bench.shape}; expected ({t_len},) aligned to the bars' dates")
    targets = _targets(weights, panel, config.lag)
    if not targets:
        raise DataContractError("no target weights fall inside the bars' dates", Location(column="date"))
    start = min(targets)
    costs = config.costs

    v = np.zeros(n)
    cash = initial_nav
    nav_prev = initial_nav
    cols = {c: np.zeros(t_len - start) for c in ("nav", "ret", "cost", "turnover", "cash_weight", "blocked_weight")}
    n_hold = np.zeros(t_len - start, dtype=int)
    hold_rows, trade_rows = [], []
    for t in range(start, t_len):
        i = t - start
        prev = price[t - 1] if t > 0 else price[t]  # NaN before a stock's first bar
        if t in targets:
            f = fill[t]
            ok = np.isfinite(f)  # a fill price exists (a stock listed today has no prev, but fills)
            with np.errstate(invalid="ignore", divide="ignore"):
                g = np.where(ok, f, price[t]) / prev
            v_fill = np.where(v != 0, v * np.nan_to_num(g, nan=1.0), 0.0)
            nav_pre = v_fill.sum() + cash
            decision, target = targets[t]
            executed, locked = execute_weights(target, v_fill / nav_pre, can_buy[t], can_sell[t])
            free = ~locked
            share = executed[free].sum()
            x = executed[free] / share if share > 0 else np.zeros(free.sum())
            cost = 0.0
            for _ in range(config.cost_iterations):  # B = NAV_pre * share - cost(x * B - v_fill)
                budget = nav_pre * share - cost
                cost = costs.cost(x * budget - v_fill[free])
            v_new = v_fill.copy()
            v_new[free] = x * (nav_pre * share - cost)
            traded = np.abs(v_new - v_fill).sum() / nav_pre
            cash = nav_pre - v_new.sum() - cost
            blocked = 0.5 * np.abs(target - executed).sum()
            h = np.where(ok, price[t] / np.where(ok, f, 1.0), 1.0)
            v = v_new * np.nan_to_num(h, nan=1.0)
            cols["cost"][i], cols["turnover"][i], cols["blocked_weight"][i] = cost / nav_pre, traded, blocked
            trade_rows.append(
                (decision, dates[t], traded, cost / nav_pre, blocked, int((locked & (target != executed)).sum()))
            )
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                g = price[t] / prev
            v = np.where(v != 0, v * np.nan_to_num(g, nan=1.0), 0.0)
        nav = v.sum() + cash
        cols["nav"][i], cols["ret"][i], cols["cash_weight"][i] = nav, nav / nav_prev - 1.0, cash / nav
        n_hold[i] = int((v > 0).sum())
        if t in targets:
            held = np.flatnonzero(v > 0)
            hold_rows.append(pd.DataFrame({"date": dates[t], "code": codes[held], "weight": v[held] / nav}))
        nav_prev = nav
    daily = pd.DataFrame({"date": dates[start:], **cols, "n_holdings": n_hold})
    daily["bench_ret"] = bench[start:]
    daily["excess_ret"] = daily["ret"] - daily["bench_ret"]
    holdings = (
        pd.concat(hold_rows, ignore_index=True) if hold_rows else pd.DataFrame(columns=["date", "code", "weight"])
    )
    trades = pd.DataFrame(
        trade_rows, columns=["decision_date", "date", "turnover", "cost", "blocked_weight", "n_locked"]
    )
    return BacktestResult(daily[DAILY_COLUMNS], holdings, trades)
