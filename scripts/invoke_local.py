"""Invoke one built function under the Lambda runtime emulator: ``make invoke-local``.

``make invoke-local EVENT=events/sqs.json`` builds for this machine (scripts/build-host.sh),
starts the Intercom sandbox and a local Secrets Manager with the demo connected account, runs
the function that the event is a sample of (or ``FUNCTION=LogicalId``) under the runtime
interface emulator and awslambdaric, invokes it through the Lambda invoke HTTP API and prints
its logs, the answer, and the requests Intercom received.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from scripts.local_lambda import (
    ROOT,
    EmulatedFunction,
    built_functions,
    env_file_overrides,
    function_for_event,
    is_runtime_error,
    local_services,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--event", default="events/direct-email.json", help="event file")
    parser.add_argument("--function", default="", help="logical id (default: from the event)")
    parser.add_argument("--env-vars", default="", help="sam local style env.json of overrides")
    args = parser.parse_args(argv)
    event_path = (ROOT / args.event).resolve()
    functions = built_functions()
    if args.function:
        if args.function not in functions:
            parser.error(f"no function {args.function}; the template has {', '.join(functions)}")
        function = functions[args.function]
    else:
        function = function_for_event(event_path, functions)
    event = json.loads(event_path.read_text(encoding="utf-8"))

    with local_services() as services:
        overrides = services.function_overrides()
        if args.env_vars:
            overrides |= env_file_overrides(Path(args.env_vars), function.logical_id)
        print(f"{function.logical_id} ({function.handler}) <- {event_path.relative_to(ROOT)}")
        print(f"Intercom sandbox: {services.sandbox.base_url}  AWS (moto): {services.aws_endpoint}")
        with EmulatedFunction(function, overrides, services.aws_endpoint) as emulated:
            answer = emulated.invoke(event)
            print("\n== Function log (runtime interface emulator)")
            print(emulated.logs().rstrip())
        print("\n== Answer")
        print(json.dumps(answer, indent=2, ensure_ascii=False))
        print("\n== Requests Intercom received")
        for exchange in services.sandbox.exchanges:
            print(f"  {exchange.method:4} {exchange.path} -> {exchange.status}")
    return 1 if is_runtime_error(answer) else 0


if __name__ == "__main__":
    raise SystemExit(main())
