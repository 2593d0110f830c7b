"""The runtime: machine code, its cache, dispatch, threads and buffers."""

MISS = object()  # a direct call's answer when the arguments are not its compiled signature
