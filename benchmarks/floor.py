"""The cold-start floor: the least any version of this function must do on a cold start.

Import boto3 and urllib3, read the connected account's secret from Secrets Manager, make one
HTTP request to Intercom (the sandbox), print ``RESULT {...}``. No validation, no logging, no
Powertools. ``python benchmarks/floor.py CONTACT_ID`` (environment from ``bench.py``).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

import boto3
import urllib3

if __name__ == "__main__":
    imported_at = time.perf_counter()
    secret = boto3.client("secretsmanager").get_secret_value(SecretId="intercom/bench")
    token = json.loads(secret["SecretString"])["access_token"]
    response = urllib3.PoolManager().request(
        "GET",
        f"{os.environ['INTERCOM_API_BASE_URL']}/contacts/{sys.argv[1]}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    outcome = "success" if response.status == 200 else f"status {response.status}"
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {"outcome": outcome, "maxrss_kb": peak_kb, "imported_at": imported_at}
    print("RESULT " + json.dumps(result), flush=True)
