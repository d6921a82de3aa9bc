"""The connected account: which Secrets Manager secret holds the Intercom token, and reading it.

The secret's value is either the bare access token or JSON
``{"access_token": "...", "region": "us" | "eu" | "au"}``. It is cached per warm container by
Powertools' parameters utility and never logged, returned or put in an exception message.

Every read fits the run's remaining time: botocore's timeouts and attempts are derived from it
(``call_limits``), and a read that cannot fit is not started (``ConnectedAccountUnavailableError``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from intercom_update.models.errors import ConnectedAccountError, ConnectedAccountUnavailableError
from intercom_update.settings import REGION_BASE_URLS, Settings

if TYPE_CHECKING:
    from intercom_update.dal.bounded_secrets import BoundedSecretsProvider

_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):secretsmanager:(?P<region>[a-z0-9-]+):"
    r"(?P<account>\d{12}):secret:(?P<name>.+)$"
)
_TOKEN = re.compile(r"^[\x21-\x7e]{8,4096}$")
# Client errors that say the secret itself is wrong or out of reach for good: unsuccessful.
_PERMANENT_ERRORS = frozenset(
    {
        "ResourceNotFoundException",
        "AccessDeniedException",
        "AccessDenied",
        "DecryptionFailure",
        "InvalidRequestException",
        "InvalidParameterException",
        "ValidationException",
        "UnrecognizedClientException",
    }
)


_UNPARSEABLE: Final = object()


def connected_account_problem(
    name: str, prefix: str, *, region: str | None = None, account_id: str | None = None
) -> str | None:
    """Why this secret name or ARN may not be used by this deployment, or None if it may."""
    secret_name = name
    arn = _ARN.fullmatch(name)
    if name.startswith("arn:"):
        if not arn:
            return "is not a valid Secrets Manager secret ARN"
        if region and arn["partition"] != _partition(region):
            return f"must be a secret in this function's partition ({_partition(region)})"
        if region and arn["region"] != region:
            return f"must be a secret in this function's region ({region})"
        if account_id and arn["account"] != account_id:
            return "must be a secret in this function's AWS account"
        secret_name = arn["name"]
    if not _NAME.fullmatch(secret_name):
        return "must be a Secrets Manager secret name (letters, digits and /_+=.@- only)"
    if not secret_name.startswith(prefix) or len(secret_name) == len(prefix):
        return f"must be a secret under the allowed prefix '{prefix}'"
    if any(part in {"", ".", ".."} for part in secret_name[len(prefix) :].split("/")):
        return "must not contain empty, '.' or '..' path segments"
    return None


def _partition(region: str) -> str:
    for prefix, partition in (
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-iso-", "aws-iso"),
    ):
        if region.startswith(prefix):
            return partition
    return "aws"


@dataclass(frozen=True)
class ConnectedAccount:
    secret_id: str
    region: str
    base_url: str
    token: str = field(repr=False)
    # A stable, non-reversible key for per-workspace caches; never the token itself.
    cache_key: str = field(repr=False, default="")


def parse_secret(secret_id: str, raw: Any, settings: Settings) -> ConnectedAccount:
    """Turn the secret's value into a ConnectedAccount. Messages never quote the value."""
    if not isinstance(raw, str):
        raise ConnectedAccountError(
            f"secret {secret_id} must hold text (SecretString), not binary data",
            field="connected_account",
        )
    text = raw.strip()
    region = "us"
    # A bare token never starts like JSON; anything that does must be the documented object.
    if text[:1] in {"{", "[", '"'}:
        try:
            document = json.loads(text)
        except ValueError:
            # Raised outside the handler: the decode error (it holds the secret) is dropped.
            document = _UNPARSEABLE
        if document is _UNPARSEABLE:
            raise ConnectedAccountError(
                f"secret {secret_id} looks like JSON but does not parse",
                field="connected_account",
            )
        if not isinstance(document, dict):
            raise ConnectedAccountError(
                f"secret {secret_id} must be a JSON object", field="connected_account"
            )
        token = document.get("access_token")
        if not isinstance(token, str) or not token.strip():
            raise ConnectedAccountError(
                f"secret {secret_id} has no access_token", field="connected_account"
            )
        raw_region = document.get("region") or "us"
        if not isinstance(raw_region, str) or raw_region.strip().lower() not in REGION_BASE_URLS:
            raise ConnectedAccountError(
                f"secret {secret_id} has an unknown region; use one of: us, eu, au",
                field="connected_account",
            )
        region = raw_region.strip().lower()
        text = token.strip()
    if not _TOKEN.fullmatch(text):
        raise ConnectedAccountError(
            f"secret {secret_id} does not hold a usable Intercom access token "
            "(expected the bare token, or JSON with access_token and region)",
            field="connected_account",
        )
    base_url = settings.intercom_base_url_override or REGION_BASE_URLS[region]
    cache_key = hashlib.sha256(f"{base_url}\n{text}".encode()).hexdigest()[:32]
    return ConnectedAccount(
        secret_id=secret_id, region=region, base_url=base_url, token=text, cache_key=cache_key
    )


class ConnectedAccounts:
    """Reads connected accounts from Secrets Manager through Powertools (cached per container)."""

    def __init__(self, settings: Settings, provider: BoundedSecretsProvider | None = None) -> None:
        self._settings = settings
        self._provider = provider
        self._lock = threading.Lock()

    def _secrets(self) -> BoundedSecretsProvider:
        # Created on first use, not at import: cold starts that fail validation never pay for it.
        with self._lock:
            if self._provider is None:
                from intercom_update.dal.bounded_secrets import BoundedSecretsProvider

                self._provider = BoundedSecretsProvider()
            return self._provider

    def resolve(
        self, secret_id: str, *, time_left_s: float | None = None, fresh: bool = False
    ) -> ConnectedAccount:
        """The account, from the cache unless ``fresh``; a read fits in ``time_left_s``."""
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        provider = self._secrets()
        if fresh:
            provider.forget(secret_id)
        try:
            raw = provider.get(
                secret_id, max_age=self._settings.secret_cache_seconds, time_left_s=time_left_s
            )
        except GetParameterError as exc:
            raise _classify(secret_id, exc) from None
        return parse_secret(secret_id, raw, self._settings)


def _classify(secret_id: str, exc: BaseException) -> Exception:
    from botocore.exceptions import ClientError

    from intercom_update.dal.bounded_secrets import OutOfTimeError

    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, OutOfTimeError):
        return ConnectedAccountUnavailableError(
            f"no time left to read secret {secret_id} from Secrets Manager; retry later"
        )
    if isinstance(cause, ClientError):
        code = str(cause.response.get("Error", {}).get("Code", ""))
        if code in _PERMANENT_ERRORS:
            return ConnectedAccountError(
                f"cannot read secret {secret_id} from Secrets Manager ({code})",
                field="connected_account",
            )
        return ConnectedAccountUnavailableError(
            f"Secrets Manager did not answer for {secret_id} ({code or 'error'}); retry later"
        )
    kind = type(cause).__name__ if cause else type(exc).__name__
    return ConnectedAccountUnavailableError(
        f"Secrets Manager could not be reached for {secret_id} ({kind}); retry later"
    )
