"""Integrations with the frameworks that run multi-agent pipelines (floor 6; optional extras).

- :mod:`icq.integrations.langgraph` (extra ``langgraph``): record ``icq-trace/1`` traces from a
  compiled LangGraph graph, and route it with IC-Q (docs/langgraph.md);
- :mod:`icq.integrations.otlp`: OpenTelemetry SDK spans to OTLP JSON, the input of
  ``icq traces from-otel`` (docs/traces.md);
- :mod:`icq.integrations.example_graph`: the bundled planner → coder → tester → reviewer graph,
  whose nodes are seeded stand-ins for model and tool calls with a known generating law.

Nothing here is imported by ``import icq``; each module imports its framework on import.
"""
