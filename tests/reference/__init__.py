"""Plain numpy/Python references for every numba kernel (README: Conventions)."""
