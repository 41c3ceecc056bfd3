"""`python deploy/healthcheck.py URL`: exit 0 when URL answers with a status below 400
(used by the compose healthchecks; the slim image has no curl)."""

import sys
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as response:
        sys.exit(0 if response.status < 400 else 1)
except Exception as exc:  # noqa: BLE001
    print(exc, file=sys.stderr)
    sys.exit(1)
