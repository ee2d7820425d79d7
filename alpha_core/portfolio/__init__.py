"""Portfolio construction: constraints, the enhancement LP, relaxation, presets, simple
signal portfolios, blends. Entry points: :func:`alpha_core.portfolio.enhance.optimize_portfolios`,
:mod:`alpha_core.portfolio.simple`, :func:`alpha_core.portfolio.blend.blend_daily`."""
