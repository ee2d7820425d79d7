"""Generate the whole synthetic market once, as aligned (T, N) arrays."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_core.data.synthetic.calendar import trading_calendar
from alpha_core.data.synthetic.config import SyntheticConfig
from alpha_core.data.synthetic.fundamentals import Fundamentals, make_fundamentals
from alpha_core.data.synthetic.indices import Indices, make_indices
from alpha_core.data.synthetic.macro import MacroPath, simulate_macro
from alpha_core.data.synthetic.planted import make_planted
from alpha_core.data.synthetic.prices import PriceArrays, make_prices
from alpha_core.data.synthetic.returns import Latent, make_latent
from alpha_core.data.synthetic.universe_events import Universe, make_universe

log = logging.getLogger(__name__)

# Independent random streams: switching one part off never changes another's draws.
_STREAMS = ("universe", "latent", "macro", "prices", "fundamentals")


@dataclass(frozen=True)
class SyntheticMarket:
    """All generated arrays. ``mu_*``: (T, N) planted 10-day expected returns (NaN if not listed)."""

    config: SyntheticConfig
    calendar: pd.DatetimeIndex
    universe: Universe
    prices: PriceArrays
    fundamentals: Fundamentals
    indices: Indices
    macro: MacroPath
    mu_factor: np.ndarray
    mu_graph: np.ndarray
    mu_macro: np.ndarray


def _streams(cfg: SyntheticConfig) -> dict[str, np.random.Generator]:
    if cfg.end_ts <= cfg.start_ts or cfg.n_stocks < 10:
        raise ValueError(f"synthetic market needs start < end and >= 10 stocks, got {cfg}")
    return dict(
        zip(
            _STREAMS,
            (np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(len(_STREAMS))),
            strict=True,
        )
    )


def _calendars(cfg: SyntheticConfig) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    ext_cal = trading_calendar(cfg.start_ts - pd.DateOffset(years=3), cfg.end_ts)
    return ext_cal, ext_cal[ext_cal >= cfg.start_ts]


def latent_state(cfg: SyntheticConfig) -> tuple[pd.DatetimeIndex, Universe, Latent]:
    """(calendar, universe, latent state) of the market of ``cfg``, the very draws that
    :func:`generate_market` makes (diagnostics: the latent paths are not kept in the market)."""
    rngs = _streams(cfg)
    _, cal = _calendars(cfg)
    uni = make_universe(cfg, cal, rngs["universe"])
    return cal, uni, make_latent(cfg, uni, rngs["latent"])


def generate_market(cfg: SyntheticConfig) -> SyntheticMarket:
    """Generate the market of ``cfg`` (deterministic: same config -> identical arrays)."""
    t0 = time.perf_counter()
    rngs = _streams(cfg)
    ext_cal, cal = _calendars(cfg)
    stage = time.perf_counter()

    def tick(name: str) -> None:
        nonlocal stage
        log.debug("synthetic %s: %.1fs", name, time.perf_counter() - stage)
        stage = time.perf_counter()

    uni = make_universe(cfg, cal, rngs["universe"])
    macro = simulate_macro(ext_cal, cal, rngs["macro"])
    tick("universe+macro")
    lat = make_latent(cfg, uni, rngs["latent"])
    tick("latent returns")
    planted = make_planted(cfg, uni, lat, macro.state)
    tick("planted")
    px = make_prices(cal, uni, lat, planted.drift, rngs["prices"])
    tick("prices")
    fund = make_fundamentals(cal, uni, lat, px, rngs["fundamentals"], cfg.value_loading)
    del lat  # the latent (T, N) paths are not kept
    tick("fundamentals")
    idx = make_indices(cal, uni, px)
    tick("indices")
    log.info(
        "synthetic market %d days x %d stocks generated in %.1fs", len(cal), cfg.n_stocks, time.perf_counter() - t0
    )
    return SyntheticMarket(
        config=cfg,
        calendar=cal,
        universe=uni,
        prices=px,
        fundamentals=fund,
        indices=idx,
        macro=macro,
        mu_factor=planted.mu_factor,
        mu_graph=planted.mu_graph,
        mu_macro=planted.mu_macro,
    )
