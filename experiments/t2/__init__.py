"""T2: finite-sample behaviour along the three error sources of Theorem 1 (paper §5.1)."""
