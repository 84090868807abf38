"""Multi-agent CPU programming: adaptable agents (paper §5.3; outside Theorem 1)."""
