"""The embedded synthetic A-share market with planted, known predictability (issue 3).

src = SyntheticSource.from_profile("demo")
bars = src.bars(start, end)                # contract tables, like any DataSource
truth = src.ground_truth(start, end)       # evaluation only, never a model input
oracle_ic(scores, truth)                   # DataFrame[date, ic]
"""

from alpha_core.data.synthetic.config import PROFILES, Profile, SyntheticConfig, profile_config
from alpha_core.data.synthetic.oracle import forward_vwap_return, ic_summary, mean_ic, oracle_ic
from alpha_core.data.synthetic.source import GROUND_TRUTH_COLUMNS, SyntheticSource

__all__ = [
    "GROUND_TRUTH_COLUMNS",
    "PROFILES",
    "Profile",
    "SyntheticConfig",
    "SyntheticSource",
    "forward_vwap_return",
    "ic_summary",
    "mean_ic",
    "oracle_ic",
    "profile_config",
]
