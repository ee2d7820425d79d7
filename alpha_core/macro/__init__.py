"""Macro series for R3's physics-informed loss.

- :mod:`.hp_filter`: one-sided (causal) HP trend for models; two-sided trend for plots only.
- :mod:`.state`: the macro state per trading day with publication lags (``build_macro_state``)
  and the explicit ``GapPolicy`` for missing data (the 2017-01..2019-05 yield gap).
"""
