#!/usr/bin/env python3
"""Emits log records with the OpenTelemetry Python SDK and its OTLP/HTTP (protobuf) exporter.

Usage: otlp_logs.py --port P --token T --count N --marker M

Records carry a body with the marker and attributes (`test_marker`, `seq`, `user_name`). Prints
one JSON line: how many records were emitted and how many the exporter reported exported, and
whether an exporter with a wrong token was refused.
"""

import argparse
import json
import logging
import sys
import threading
import time

from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource

try:
    from opentelemetry.sdk._logs.export import LogRecordExporter as _Base
except ImportError:  # SDKs before 1.39
    from opentelemetry.sdk._logs.export import LogExporter as _Base


class Counting(_Base):
    """Wraps an exporter and counts the records of successful and failed exports."""

    def __init__(self, inner):
        self.inner = inner
        self.ok = 0
        self.failed = 0
        self.lock = threading.Lock()

    def export(self, batch):
        result = self.inner.export(batch)
        with self.lock:
            if getattr(result, "name", "") == "SUCCESS":
                self.ok += len(batch)
            else:
                self.failed += len(batch)
        return result

    def shutdown(self):
        return self.inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        return True


def emit(logger, body, attributes):
    try:
        logger.emit(body=body, attributes=attributes, severity_number=SeverityNumber.WARN, severity_text="WARN")
    except TypeError:  # SDKs whose emit() takes a record only
        from opentelemetry.sdk._logs import LogRecord

        logger.emit(
            LogRecord(
                timestamp=time.time_ns(),
                body=body,
                attributes=attributes,
                severity_number=SeverityNumber.WARN,
                severity_text="WARN",
            )
        )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--marker", required=True)
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    endpoint = f"http://127.0.0.1:{a.port}/v1/logs"

    exporter = Counting(OTLPLogExporter(endpoint=endpoint, headers={"Authorization": f"Bearer {a.token}"}, timeout=30))
    provider = LoggerProvider(resource=Resource.create({"service.name": "vigil-otlp-test"}))
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter, max_export_batch_size=64))
    logger = provider.get_logger("vigil.test")
    for i in range(a.count):
        emit(logger, f"otel record {i} {a.marker}", {"test_marker": a.marker, "seq": i, "user_name": f"user{i % 7}"})
    flushed = provider.force_flush(30000)
    provider.shutdown()

    wrong = Counting(OTLPLogExporter(endpoint=endpoint, headers={"Authorization": "Bearer wrong-token"}, timeout=10))
    wrong_provider = LoggerProvider(resource=Resource.create({"service.name": "vigil-otlp-test"}))
    wrong_provider.add_log_record_processor(SimpleLogRecordProcessor(wrong))
    emit(wrong_provider.get_logger("vigil.test"), f"refused {a.marker}x", {"test_marker": a.marker + "x"})
    wrong_provider.shutdown()

    print(json.dumps({
        "emitted": a.count,
        "exported": exporter.ok,
        "failed": exporter.failed,
        "flushed": bool(flushed),
        "wrong_token_exported": wrong.ok,
        "wrong_token_failed": wrong.failed,
    }))


if __name__ == "__main__":
    sys.exit(main())
