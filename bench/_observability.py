"""Observability off, as shipped, or on, for the benchmarks that report its overhead
(`bench.bus_pipeline`, `bench.submissions_post`), and the trace sink the "on" processes export to.

The three variants of a process, chosen before it builds its runtime or app (`prepare`):

- `off`: every Prometheus metric does nothing (prometheus_client's `labels`, `inc`, `dec`, `set` and
  `observe` become no-ops in that process, whatever module made the metric), the HTTP metrics
  middleware passes requests straight through, and tracing is off (`OTEL_SDK_DISABLED=true`). What
  remains of observability is the relay's and consumers' backlog and lag queries, every 5 s.
- `shipped`: metrics as shipped, tracing off: a service with no OTLP endpoint configured.
- `on`: metrics as shipped and tracing on at the settings' default `trace_sample_ratio`, exporting
  over OTLP/HTTP (the SDK's batch processor and exporter, as in production) to a `TraceSink`.

`TraceSink` is a local OTLP/HTTP receiver in a process of its own: it answers 200 to
`POST /v1/traces`, decodes each request and counts its bytes and its spans per service and span name
(`GET /stats`), so a benchmark can check that the "on" variant's spans arrived and the other
variants sent none, and one can see which spans a run makes.

    python -m bench._observability    # a sink on a free port; prints "listening <port>"
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

VARIANTS = ("off", "shipped", "on")
VARIANT_VARIABLE = "BENCH_OBSERVABILITY"
"""Names a server process's variant (`submissions_post` starts its APIs with it)."""
ROOT = Path(__file__).resolve().parent.parent


# --- the variants ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observability:
    """What a benchmark's process runs with: its variant and, for "on", where its spans go and at
    what sample ratio (None: the settings' default)."""

    variant: str
    otlp_endpoint: str = ""
    sample_ratio: float | None = None

    def settings(self) -> dict[str, Any]:
        """The service settings (keyword arguments of ServiceSettings) of this variant."""
        if self.variant != "on":
            return {"otlp_endpoint": ""}
        ratio = {} if self.sample_ratio is None else {"trace_sample_ratio": self.sample_ratio}
        return {"otlp_endpoint": self.otlp_endpoint, **ratio}


def prepare(variant: str) -> None:
    """Put this process in `variant`, before it builds a runtime or an app (whose settings come from
    `Observability.settings` or `server_environment`)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown observability variant {variant!r}")
    os.environ["OTEL_SDK_DISABLED"] = "false" if variant == "on" else "true"
    if variant == "off":
        silence_metrics()


def silence_metrics() -> None:
    """Make every Prometheus metric of this process a no-op, and the HTTP metrics middleware a
    pass-through (process-wide and for good: for a benchmark's process only)."""
    from prometheus_client import Counter, Gauge, Histogram, Summary
    from prometheus_client.metrics import MetricWrapperBase

    from kaleidoscope_shared.http.metrics import HttpMetrics

    def nothing(self: Any, *args: Any, **kwargs: Any) -> None:
        return None

    def itself(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self

    async def through(self: HttpMetrics, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    MetricWrapperBase.labels = itself  # type: ignore[method-assign]
    for kind, methods in (
        (Counter, ("inc",)),
        (Gauge, ("inc", "dec", "set")),
        (Histogram, ("observe",)),
        (Summary, ("observe",)),
    ):
        for method in methods:
            setattr(kind, method, nothing)
    HttpMetrics.__call__ = through  # type: ignore[method-assign]


def server_environment(observability: Observability, prefix: str) -> dict[str, str]:
    """The environment variables that put a service's API process (`prefix`: `SUBMISSIONS_`) in its
    variant; its app factory calls `prepare(os.environ[VARIANT_VARIABLE])` first."""
    variables = {
        VARIANT_VARIABLE: observability.variant,
        "OTEL_SDK_DISABLED": "false" if observability.variant == "on" else "true",
    }
    for name, value in observability.settings().items():
        variables[f"{prefix}{name.upper()}"] = str(value)
    return variables


# --- the sink --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SinkCounts:
    requests: int = 0
    bytes: int = 0
    spans: dict[str, int] = field(default_factory=dict)
    """Spans received, by the `service.name` of their resource."""

    def since(self, earlier: SinkCounts) -> SinkCounts:
        return SinkCounts(
            self.requests - earlier.requests,
            self.bytes - earlier.bytes,
            {
                name: count - earlier.spans.get(name, 0)
                for name, count in self.spans.items()
                if count != earlier.spans.get(name, 0)
            },
        )

    @property
    def total_spans(self) -> int:
        return sum(self.spans.values())


class TraceSink:
    """A sink process for the benchmark's duration: `url` is what a service's `otlp_endpoint` takes."""

    def __enter__(self) -> TraceSink:
        command = [sys.executable, "-m", "bench._observability"]
        self._process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline().split()
        if len(line) != 2 or line[0] != "listening":
            self._process.kill()
            raise RuntimeError(f"the trace sink did not start: {line}")
        self.url = f"http://127.0.0.1:{line[1]}"
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)

    def counts(self) -> SinkCounts:
        with urllib.request.urlopen(f"{self.url}/stats", timeout=10) as response:
            body = json.loads(response.read())
        return SinkCounts(body["requests"], body["bytes"], body["spans"])


def serve() -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
        ExportTraceServiceResponse,
    )

    lock = threading.Lock()
    counts: dict[str, Any] = {"requests": 0, "bytes": 0, "spans": {}, "names": {}}
    answer = ExportTraceServiceResponse().SerializeToString()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # the exporter's session keeps its connection

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/v1/traces":
                self._reply(404, b"", "text/plain")
                return
            data = gzip.decompress(body) if self.headers.get("Content-Encoding") == "gzip" else body
            request = ExportTraceServiceRequest.FromString(data)
            with lock:
                counts["requests"] += 1
                counts["bytes"] += len(body)
                for resource_spans in request.resource_spans:
                    service = next(
                        (
                            a.value.string_value
                            for a in resource_spans.resource.attributes
                            if a.key == "service.name"
                        ),
                        "unknown",
                    )
                    names = counts["names"].setdefault(service, {})
                    for scope in resource_spans.scope_spans:
                        counts["spans"][service] = counts["spans"].get(service, 0) + len(scope.spans)
                        for span in scope.spans:
                            names[span.name] = names.get(span.name, 0) + 1
            self._reply(200, answer, "application/x-protobuf")

        def do_GET(self) -> None:
            with lock:
                body = json.dumps(counts).encode()
            self._reply(200, body, "application/json")

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve()
