"""Daily A-share backtest: :func:`alpha_core.backtest.engine.run_backtest`, trading rules
(:mod:`.rules`), costs and fill prices (:mod:`.costs`)."""
