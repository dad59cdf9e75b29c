"""Plain numpy/Python references for every numba kernel (DESIGN.md)."""
