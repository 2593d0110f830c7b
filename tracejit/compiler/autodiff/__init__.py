"""Automatic differentiation as a transform of the Graph IR: ``reverse.vjp_graph`` and
``forward.jvp_graph`` add the derivative's nodes to the graph, through a ``Builder``, using
the ``jvp``/``vjp`` rule each op declares (``compiler/ops/``)."""
from tracejit.compiler.autodiff.builder import Builder, is_float
from tracejit.compiler.autodiff.forward import jvp_graph
from tracejit.compiler.autodiff.reverse import STOP, active_nodes, vjp_graph

__all__ = ["Builder", "is_float", "jvp_graph", "vjp_graph", "active_nodes", "STOP"]
