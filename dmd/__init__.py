"""dmd: the catalog's data-movement tool (the ByteDMD cost model, numpy only).

core      traces, fast read depths (O(N log N)), the naive reference
trace     the numpy tracer: TArray and the lowering of numpy calls
report    per-stub reports (<slug>/dmd.json)
adapters  one module per stub: its training step(s) in the adapter form
"""
from .core import Trace, cost, depths, naive_cost, naive_depths  # noqa: F401
