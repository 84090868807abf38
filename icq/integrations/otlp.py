"""OpenTelemetry SDK spans → OTLP JSON lines, as a Collector's file exporter writes them
(docs/traces.md, "From OpenTelemetry spans"; extra ``langgraph``).

The spans are encoded by the SDK's own OTLP encoder
(``opentelemetry.exporter.otlp.proto.common.trace_encoder.encode_spans``) into an
``ExportTraceServiceRequest`` and written with protobuf's JSON mapping, trace and span ids
turned from base64 into the hex strings the OTLP/JSON specification prescribes, by the project's
JSON convention (:func:`icq.reference.common.io.dumps`).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

from icq.reference.common.io import atomic_write, dumps

__all__ = ["otlp_json_lines", "write_otlp_json"]

_IDS = ("traceId", "spanId", "parentSpanId")


def _hex_ids(span: dict[str, Any]) -> None:
    for k in _IDS:
        if k in span:
            span[k] = base64.b64decode(span[k]).hex()
    for link in span.get("links", ()):
        _hex_ids(link)


def otlp_json_lines(spans: Sequence[Any], per_request: int = 512) -> Iterator[str]:
    """One OTLP JSON ``ExportTraceServiceRequest`` per ``per_request`` finished SDK spans."""
    for i in range(0, len(spans), per_request):
        doc = MessageToDict(encode_spans(spans[i:i + per_request]))
        for rs in doc.get("resourceSpans", ()):
            for ss in rs.get("scopeSpans", ()):
                for sp in ss.get("spans", ()):
                    _hex_ids(sp)
        yield dumps(doc, separators=(",", ":"))


def write_otlp_json(path: str | Path, spans: Sequence[Any], per_request: int = 512) -> int:
    """Write :func:`otlp_json_lines` to ``path`` atomically; returns the number of lines."""
    n = 0
    with atomic_write(path) as fh:
        for line in otlp_json_lines(spans, per_request):
            fh.write(line + "\n")
            n += 1
    return n
