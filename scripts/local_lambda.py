"""Run the built functions under Lambda's own runtime pieces, on this machine, without Docker.

``scripts/build-host.sh`` builds the application for this machine's architecture into
``.aws-sam/host/``. Each function then runs as Lambda runs it: AWS's runtime interface emulator
(from the SAM CLI wheel) starts ``python3.13 -m awslambdaric <Handler>`` in the function's build
directory with the layer on the path, and answers the Lambda invoke HTTP API on a free loopback
port. The function sees the environment the template declares (as ``sam local invoke`` gives
it), with values from an ``--env-vars`` style override, plus what Lambda itself sets.

The AWS side is local too: the Intercom sandbox, and moto's server as Secrets Manager (holding
the demo connected account) and DynamoDB (the idempotency table).
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote

import boto3
import yaml

from intercom_sandbox import IntercomSandbox
from scripts.demo import DEMO_SECRET, DEMO_TOKEN, seed_demo_workspace

ROOT: Final = Path(__file__).resolve().parent.parent
HOST_DIR: Final = ROOT / ".aws-sam" / "host"
BUILD_DIR: Final = HOST_DIR / "build"
EVENTS_DIR: Final = ROOT / "events"
REGION: Final = "us-east-1"
ACCOUNT_ID: Final = "123456789012"
IDEMPOTENCY_TABLE: Final = "intercom-update-user-idempotency"
INVOKE_PATH: Final = "/2015-03-31/functions/function/invocations"
# Keys of the body the runtime interface client posts for an unhandled exception.
_ERROR_KEYS: Final = frozenset({"errorMessage", "errorType", "requestId", "stackTrace"})


@dataclass(frozen=True)
class BuiltFunction:
    """One AWS::Serverless::Function of the host build, with the template's settings."""

    logical_id: str
    handler: str
    code_dir: Path
    layer_dirs: tuple[Path, ...]
    environment: dict[str, str]
    timeout_s: int
    memory_mb: int

    @property
    def handler_module(self) -> str:
        """``direct`` for ``intercom_update.handlers.direct.lambda_handler``."""
        return self.handler.rsplit(".", 2)[-2]

    def sample_events(self, events_dir: Path = EVENTS_DIR) -> list[Path]:
        """Files in events/ named after the handler module (``api-gateway.json``, ``direct-*``)."""
        stem = self.handler_module.replace("_", "-")
        return sorted(
            path
            for path in events_dir.glob("*.json")
            if path.stem == stem or path.stem.startswith(f"{stem}-")
        )


def _resolve(value: Any, parameters: Mapping[str, Any]) -> str | None:
    """A template value as ``sam local`` sees it: literals and parameter defaults; else None."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict) and set(value) == {"Ref"}:
        default = parameters.get(value["Ref"], {}).get("Default")
        return None if default is None else str(default)
    return None  # conditions, attributes of other resources: unknown outside a stack


def built_functions(build_dir: Path = BUILD_DIR) -> dict[str, BuiltFunction]:
    """Every function of the host build, by logical id."""
    path = build_dir / "template.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run scripts/build-host.sh first")
    # sam build writes the long form of every intrinsic, which plain YAML reads.
    template: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    parameters = template.get("Parameters", {})
    resources = template["Resources"]
    defaults = template.get("Globals", {}).get("Function", {})
    functions: dict[str, BuiltFunction] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = {**defaults, **resource["Properties"]}
        variables = {
            **defaults.get("Environment", {}).get("Variables", {}),
            **resource["Properties"].get("Environment", {}).get("Variables", {}),
        }
        layers = tuple(
            build_dir / resources[layer["Ref"]]["Properties"]["ContentUri"] / "python"
            for layer in properties.get("Layers", [])
            if isinstance(layer, dict) and layer.get("Ref") in resources
        )
        functions[logical_id] = BuiltFunction(
            logical_id=logical_id,
            handler=properties["Handler"],
            code_dir=build_dir / properties["CodeUri"],
            layer_dirs=layers,
            environment={
                name: _resolve(value, parameters) or "" for name, value in variables.items()
            },
            timeout_s=int(_resolve(properties.get("Timeout", 3), parameters) or 3),
            memory_mb=int(_resolve(properties.get("MemorySize", 128), parameters) or 128),
        )
    return functions


def function_for_event(event_path: Path, functions: Mapping[str, BuiltFunction]) -> BuiltFunction:
    """The function whose sample events include this file."""
    path = event_path.resolve()
    owners = [fn for fn in functions.values() if path in fn.sample_events(path.parent)]
    if len(owners) != 1:
        names = ", ".join(sorted(functions))
        raise LookupError(f"{event_path.name} is not a sample of exactly one function ({names})")
    return owners[0]


def env_file_overrides(path: Path, logical_id: str) -> dict[str, str]:
    """``sam local invoke --env-vars`` semantics: ``Parameters`` for all, then the function's."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        **{k: str(v) for k, v in data.get("Parameters", {}).items()},
        **{k: str(v) for k, v in data.get(logical_id, {}).items()},
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _python313() -> str:
    found = subprocess.run(  # noqa: S603 - a script of this repository
        [str(ROOT / "scripts" / "find-python.sh"), "3.13"],
        capture_output=True,
        text=True,
        check=True,
    )
    return found.stdout.strip()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"the emulator did not listen on port {port}")


class EmulatedFunction:
    """One function under the runtime interface emulator; ``invoke`` is Lambda's Invoke API."""

    def __init__(
        self, function: BuiltFunction, overrides: Mapping[str, str], aws_endpoint: str
    ) -> None:
        self.function = function
        # Like SAM, only variables the template declares reach the function.
        unknown = sorted(set(overrides) - set(function.environment))
        if unknown:
            raise ValueError(f"{function.logical_id} declares no variable {', '.join(unknown)}")
        self.declared_environment = {**function.environment, **overrides}
        self._aws_endpoint = aws_endpoint
        self._workdir = tempfile.TemporaryDirectory(prefix="lambda-rie-")
        self.log_path = Path(self._workdir.name) / "function.log"
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def _runtime_environment(self) -> dict[str, str]:
        fn = self.function
        python_path = [fn.code_dir, *fn.layer_dirs, HOST_DIR / "runtime"]
        return {
            **self.declared_environment,
            # What Lambda (and sam local) set for every function.
            "AWS_LAMBDA_FUNCTION_NAME": fn.logical_id,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(fn.timeout_s),
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SAM_LOCAL": "true",
            "LAMBDA_TASK_ROOT": str(fn.code_dir),
            "PYTHONPATH": os.pathsep.join(map(str, python_path)),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "TZ": ":UTC",
            # The local AWS account (moto): Secrets Manager and DynamoDB.
            "AWS_ENDPOINT_URL": self._aws_endpoint,
        }

    def start(self) -> EmulatedFunction:
        command = [
            str(HOST_DIR / "aws-lambda-rie"),
            "--log-level",
            "error",
            "--runtime-interface-emulator-address",
            f"127.0.0.1:{self.port}",
            "--runtime-api-address",
            f"127.0.0.1:{free_port()}",
            _python313(),
            "-S",  # nothing from this machine's site-packages: code, layer and runtime only
            "-m",
            "awslambdaric",
            self.function.handler,
        ]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - the emulator built by this repo
                command,
                cwd=self.function.code_dir,
                env=self._runtime_environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_for_port(self.port, self._process, self.log_path)
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._workdir.cleanup()

    def __enter__(self) -> EmulatedFunction:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def invoke_raw(self, payload: bytes) -> bytes:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=self.function.timeout_s + 15
        )
        try:
            connection.request(
                "POST", INVOKE_PATH, body=payload, headers={"Content-Type": "application/json"}
            )
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise RuntimeError(f"the emulator answered {response.status}: {body[:500]!r}")
        return body

    def invoke(self, event: Any) -> Any:
        return json.loads(self.invoke_raw(json.dumps(event).encode()))

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def is_runtime_error(answer: Any) -> bool:
    """Whether the answer is the runtime's report of an unhandled exception (``errorType``)."""
    return isinstance(answer, dict) and "errorType" in answer and set(answer) <= _ERROR_KEYS


@dataclass
class LocalServices:
    sandbox: IntercomSandbox
    aws_endpoint: str

    def function_overrides(self) -> dict[str, str]:
        """Declared variables pointed at the local services."""
        return {
            "INTERCOM_API_BASE_URL": self.sandbox.base_url,
            "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
        }

    def reset_workspace(self) -> dict[str, Any]:
        """The demo workspace every file in events/ is written for; returns the user Ada."""
        self.sandbox.reset()
        return seed_demo_workspace(self.sandbox)


def _aws_client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto's, not a credential
    )


@contextmanager
def local_services() -> Iterator[LocalServices]:
    """The Intercom sandbox and moto's server on free loopback ports, seeded for events/."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        _aws_client("secretsmanager", endpoint).create_secret(
            Name=DEMO_SECRET, SecretString=json.dumps({"access_token": DEMO_TOKEN, "region": "us"})
        )
        dynamodb = _aws_client("dynamodb", endpoint)
        dynamodb.create_table(
            TableName=IDEMPOTENCY_TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )
        with IntercomSandbox(tokens=(DEMO_TOKEN,)) as sandbox:
            services = LocalServices(sandbox=sandbox, aws_endpoint=endpoint)
            services.reset_workspace()
            yield services
    finally:
        moto.stop()


class LambdaService:
    """Lambda's Invoke API in front of emulated functions, for callers such as Step Functions.

    ``POST /2015-03-31/functions/{name or ARN}/invocations`` goes to the emulated function of
    that name. The emulator answers an unhandled exception with the runtime's error body only;
    as Lambda (and ``sam local start-lambda``) do, this adds ``X-Amz-Function-Error: Unhandled``
    so that the caller sees a function error, which is what ``Retry`` and ``Catch`` match on.
    """

    def __init__(self, functions: Mapping[str, EmulatedFunction]) -> None:
        self.functions = dict(functions)
        self.invocations: list[tuple[str, Any]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                service._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        parts = request.path.split("?", 1)[0].split("/")
        length = int(request.headers.get("Content-Length") or 0)
        payload = request.rfile.read(length)
        name = unquote(parts[3]).rsplit(":", 1)[-1] if len(parts) == 5 else ""
        function = self.functions.get(name)
        if function is None or parts[4] != "invocations":
            body = json.dumps({"Type": "User", "message": f"Function not found: {name}"})
            request.send_response(404)
            request.send_header("X-Amzn-ErrorType", "ResourceNotFoundException")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body.encode())
            return
        answer = function.invoke_raw(payload)
        self.invocations.append((name, json.loads(answer)))
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("X-Amz-Executed-Version", "$LATEST")
        if is_runtime_error(json.loads(answer)):
            request.send_header("X-Amz-Function-Error", "Unhandled")
        request.send_header("Content-Length", str(len(answer)))
        request.end_headers()
        request.wfile.write(answer)

    def __enter__(self) -> LambdaService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
