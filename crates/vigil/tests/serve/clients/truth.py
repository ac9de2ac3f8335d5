#!/usr/bin/env python3
"""Answers that tell the truth, seen by real clients.

Usage: truth.py --port P --token T --marker M

- elasticsearch-py `helpers.bulk` (raise_on_error=False) with three good documents, one over the
  1 MiB record limit and one nested 200 deep: the client reports which items failed.
- Splunk HEC with `requests`: `{"event":"ok1"}{"event":null}{"event":"ok3"}`, then a resend of
  what follows the event the answer names.
Prints one JSON line with what the clients reported.
"""

import argparse
import json

import requests
from elasticsearch import Elasticsearch, helpers


def nested(depth, leaf):
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--marker", required=True)
    a = p.parse_args()
    url = f"http://127.0.0.1:{a.port}"
    m = a.marker
    docs = [
        {"marker": m, "seq": 0},
        {"marker": m, "seq": 1, "message": "x" * (1 << 20)},
        {"marker": m, "seq": 2},
        {"marker": m, "seq": 3, "deep": nested(200, 1)},
        {"marker": m, "seq": 4},
    ]
    client = Elasticsearch(url, api_key=a.token, request_timeout=30)
    ok, errors = helpers.bulk(
        client,
        ({"_index": "truth", "_source": d} for d in docs),
        raise_on_error=False,
        raise_on_exception=False,
    )
    failed = sorted(
        (e["index"]["status"], e["index"]["error"]["type"]) for e in errors if "index" in e
    )

    hec = f"{url}/services/collector/event"
    auth = {"Authorization": f"Splunk {a.token}"}
    body = (
        json.dumps({"event": {"marker": m, "hec": "ok1"}})
        + json.dumps({"event": None})
        + json.dumps({"event": {"marker": m, "hec": "ok3"}})
    )
    first = requests.post(hec, data=body, headers=auth, timeout=30)
    named = first.json().get("invalid-event-number")
    # Resend what follows the event the answer names (that one is dropped as invalid).
    retry = requests.post(
        hec, data=json.dumps({"event": {"marker": m, "hec": "ok3"}}), headers=auth, timeout=30
    )
    print(
        json.dumps(
            {
                "bulk_ok": ok,
                "bulk_failed": failed,
                "hec_status": first.status_code,
                "hec_named": named,
                "hec_retry_status": retry.status_code,
            }
        )
    )


if __name__ == "__main__":
    main()
