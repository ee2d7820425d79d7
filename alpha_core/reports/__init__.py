"""Charts (:mod:`.plotting`) and tear sheets (:func:`alpha_core.reports.tears.write_tear_sheet`)."""
