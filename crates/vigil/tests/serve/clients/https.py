#!/usr/bin/env python3
"""HTTPS: elasticsearch-py and requests against `vigil serve` with `http.tls_cert`/`tls_key`.

Usage: https.py --port P --ca CA.pem --ingest-token T --read-token R --count N --marker M

- elasticsearch-py `helpers.bulk` over https://localhost with `ca_certs=CA`.
- requests: POST /api/v1/search over HTTPS (verified against CA) until all N are searchable.
- Refusals: the same URL verified against the system CAs only (must fail verification), and
  plain http:// to the HTTPS port (must not be served).
Prints one JSON line.
"""

import argparse
import json
import time

import requests
from elasticsearch import Elasticsearch, helpers


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--ingest-token", required=True)
    p.add_argument("--read-token", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--marker", required=True)
    a = p.parse_args()
    base = f"https://localhost:{a.port}"
    out = {}

    es = Elasticsearch(base, ca_certs=a.ca, api_key=a.ingest_token, request_timeout=30)
    out["info_version"] = (es.info().get("version") or {}).get("number")
    docs = ({"_index": "https-test", "_source": {"marker": a.marker, "seq": i}} for i in range(a.count))
    ok, errors = helpers.bulk(es, docs, raise_on_error=False, raise_on_exception=False)
    out["bulk_success"], out["bulk_errors"] = ok, errors

    s = requests.Session()
    auth = {"Authorization": f"Bearer {a.read_token}"}
    total, deadline = None, time.time() + 30
    while time.time() < deadline:
        r = s.post(f"{base}/api/v1/search", json={"query": f"marker:{a.marker}", "size": 0},
                   headers=auth, verify=a.ca, timeout=10)
        out["search_status"] = r.status_code
        total = r.json().get("total")
        if total == a.count:
            break
        time.sleep(0.2)
    out["search_total"] = total
    out["hsts"] = r.headers.get("Strict-Transport-Security")

    try:
        requests.get(f"{base}/healthz", timeout=10)
        out["untrusted"] = "accepted"
    except requests.exceptions.SSLError:
        out["untrusted"] = "refused"
    try:
        r = requests.get(f"http://localhost:{a.port}/healthz", timeout=10)
        out["plain_http"] = f"answered {r.status_code}"
    except requests.exceptions.ConnectionError:
        out["plain_http"] = "refused"
    print(json.dumps(out))


if __name__ == "__main__":
    main()
