#!/usr/bin/env python3
"""Sends documents to Vigil's Elasticsearch-compatible /_bulk with the official client.

Usage: es_bulk.py --port P --token T --count N --marker M

Half the documents go with `api_key=TOKEN`, the other half with `basic_auth=("vigil", TOKEN)`,
both through `elasticsearch.helpers.bulk`. A client with a wrong key must be refused. Prints one
JSON line with what the client reported.
"""

import argparse
import json
import sys
from datetime import datetime, timezone

from elasticsearch import Elasticsearch, __versionstr__, helpers
from elasticsearch import ApiError, TransportError


def actions(marker, start, stop, index):
    for i in range(start, stop):
        yield {
            "_index": index,
            "_source": {
                "@timestamp": datetime.now(timezone.utc).isoformat(),
                "marker": marker,
                "seq": i,
                "message": f"bulk document {i} {marker}",
                "user": {"name": "alice"},
            },
        }


def bulk(client, marker, start, stop):
    ok, errors = helpers.bulk(
        client,
        actions(marker, start, stop, "vigil-test"),
        chunk_size=50,
        raise_on_error=False,
        raise_on_exception=False,
    )
    return ok, errors


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--marker", required=True)
    a = p.parse_args()
    url = f"http://127.0.0.1:{a.port}"
    half = a.count // 2

    with_key = Elasticsearch(url, api_key=a.token, request_timeout=30)
    info = with_key.info()
    ok_key, errors_key = bulk(with_key, a.marker, 0, half)

    with_basic = Elasticsearch(url, basic_auth=("vigil", a.token), request_timeout=30)
    ok_basic, errors_basic = bulk(with_basic, a.marker, half, a.count)

    wrong = Elasticsearch(url, api_key="not-a-vigil-token", request_timeout=30)
    wrong_status = None
    try:
        ok_wrong, errors_wrong = helpers.bulk(wrong, actions(a.marker + "x", 0, 3, "vigil-test"))
        wrong_status = f"accepted {ok_wrong}"
    except ApiError as e:
        wrong_status = e.meta.status
    except TransportError as e:
        wrong_status = f"transport error {e}"

    print(json.dumps({
        "client_version": __versionstr__,
        "info_version": (info.get("version") or {}).get("number"),
        "success": ok_key + ok_basic,
        "success_api_key": ok_key,
        "success_basic": ok_basic,
        "errors": [str(e)[:300] for e in list(errors_key) + list(errors_basic)],
        "wrong_token_status": wrong_status,
    }))


if __name__ == "__main__":
    sys.exit(main())
