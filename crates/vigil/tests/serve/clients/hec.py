#!/usr/bin/env python3
"""Splunk HTTP Event Collector client (plain `requests`, as shippers send it).

Usage: hec.py --port P --token T --count N --marker M

- /services/collector/event: N concatenated JSON envelopes in one request (no separators
  between some of them, newlines between others, as Splunk allows).
- /services/collector/raw: N lines in one request.
- Refusals: no token, a wrong token, a body that is not JSON, and envelopes without `event`.
Prints one JSON line with every status and Splunk code.
"""

import argparse
import json
import sys
import time
import uuid

import requests


def answer(r):
    try:
        body = r.json()
    except ValueError:
        body = {"unparsed": r.text[:300]}
    return {"status": r.status_code, "code": body.get("code"), "text": body.get("text"), "body": body}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--marker", required=True)
    a = p.parse_args()
    base = f"http://127.0.0.1:{a.port}/services/collector"
    auth = {"Authorization": f"Splunk {a.token}"}
    s = requests.Session()
    out = {}

    now = time.time()
    envelopes = []
    for i in range(a.count):
        env = {
            "time": round(now + i / 1000.0, 3),
            "host": "hec-test-host",
            "source": "hec.py",
            "sourcetype": "_json",
            "event": {"marker": a.marker, "seq": i, "message": f"hec event {i} {a.marker}"},
            "fields": {"env": "test"},
        }
        envelopes.append(json.dumps(env))
    # Concatenated: pairs without a separator, the rest newline-separated.
    body = ""
    for i, e in enumerate(envelopes):
        body += e + ("" if i % 2 == 0 else "\n")
    out["event"] = answer(s.post(f"{base}/event", data=body.encode(), headers=auth, timeout=30))

    raw_marker = a.marker + "raw"
    lines = "\n".join(f"raw line {i} {raw_marker}" for i in range(a.count)) + "\n"
    channel = {"X-Splunk-Request-Channel": str(uuid.uuid4())}
    out["raw"] = answer(s.post(f"{base}/raw", data=lines.encode(), headers={**auth, **channel}, timeout=30))

    bad_marker = a.marker + "bad"
    one = json.dumps({"event": {"marker": bad_marker}})
    out["no_token"] = answer(s.post(f"{base}/event", data=one, timeout=30))
    out["wrong_token"] = answer(
        s.post(f"{base}/event", data=one, headers={"Authorization": "Splunk 00000000-wrong"}, timeout=30)
    )
    out["not_json"] = answer(s.post(f"{base}/event", data=b"this is not json", headers=auth, timeout=30))
    out["no_event"] = answer(
        s.post(f"{base}/event", data=json.dumps({"host": "x", "fields": {"marker": bad_marker}}), headers=auth, timeout=30)
    )
    out["blank_event"] = answer(s.post(f"{base}/event", data=json.dumps({"event": ""}), headers=auth, timeout=30))
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
