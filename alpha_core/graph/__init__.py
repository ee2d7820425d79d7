"""Stock graphs as edge lists (the ``adjacency`` table) and their per-day tensors.

- :mod:`.build`: :func:`build_adjacency`, the one entry point; ``GRAPH_KINDS``, the read-only table
  GraphKind -> builder + default rebuild frequency (a new kind = its builder plus one entry).
- :mod:`.edges`: ``GraphKind``, ``EDGE_COLUMNS`` (date = rebuild date, effective from it), checks.
- :mod:`.schedule`: rebuild dates (year end for R1; quarterly / monthly / weekly).
- :mod:`.sector`: R1 sector and industry membership graphs from ``industry_map``.
- :mod:`.correlation`: blockwise mean-correlation graphs over rolling windows (threshold / top-k).
- :mod:`.r3_graphs`: R3 industry graph (+ cross-industry edges) and capital-flow graph.
- :mod:`.similarity`: R2 fundamental-similarity kNN graph (point in time by announce_date).
- :mod:`.pyg`: one day's graph as ``edge_index`` (2, E) / dense (N, N) mask; ``GraphTimeline``.
- :mod:`.stats`: nodes, edges, density, isolated nodes, degree quantiles (asset metadata).
"""
