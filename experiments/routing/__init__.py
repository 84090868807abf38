"""Multi-agent routing on random graphs: the exact-AIS regime (paper §5.3)."""
