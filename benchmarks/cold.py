"""Our cold start: a fresh process imports the direct handler, invokes it once, prints the result.

``python benchmarks/cold.py EVENT_JSON`` (environment from ``bench.py``). Prints
``RESULT {"outcome": ..., "maxrss_kb": ..., "imported_at": ...}``; the parent measures the wall
time from spawning this process to reading that line. ``imported_at`` is ``time.perf_counter()``
when the imports are done (a system-wide monotonic clock, comparable with the parent's).
"""

from __future__ import annotations

import json
import resource
import sys
import time

from intercom_update.handlers import direct
from scripts.local_context import LocalLambdaContext

if __name__ == "__main__":
    imported_at = time.perf_counter()
    output = direct.lambda_handler(
        json.loads(sys.argv[1]), LocalLambdaContext(aws_request_id="bench-cold")
    )
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {"outcome": output["outcome"], "maxrss_kb": peak_kb, "imported_at": imported_at}
    print("RESULT " + json.dumps(result), flush=True)
