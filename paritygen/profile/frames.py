"""The polars engine of the profiler's lazy queries.

Why: polars' default engine ("auto") runs a lazy query on the streaming engine, whose set-up
costs 0.1-0.3 ms a query; the profiler runs thousands of small queries (a dozen per column, on
tables of a few thousand rows read into memory), where the in-memory engine answers in tens of
microseconds with the same result (benchmarks/RESULTS.md, "Profile on many tables, round 6").
"""

from __future__ import annotations

ENGINE = "in-memory"
"""Passed as ``collect(engine=ENGINE)`` by every lazy query under :mod:`paritygen.profile`."""
