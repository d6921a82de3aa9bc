"""Which connected accounts (Secrets Manager secrets) this deployment may read: a pure rule.

The connected account is given as a secret name or ARN; it must be under the deployment's
prefix and, as an ARN, in the function's own partition, region and account.
"""

from __future__ import annotations

import re

_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):secretsmanager:(?P<region>[a-z0-9-]+):"
    r"(?P<account>\d{12}):secret:(?P<name>.+)$"
)


def connected_account_problem(
    name: str, prefix: str, *, region: str | None = None, account_id: str | None = None
) -> str | None:
    """Why this secret name or ARN may not be used by this deployment, or None if it may."""
    if not name.startswith("arn:"):
        return _name_problem(name, prefix)
    arn = _ARN.fullmatch(name)
    if not arn:
        return "is not a valid Secrets Manager secret ARN"
    return _arn_problem(arn, region, account_id) or _name_problem(arn["name"], prefix)


def _arn_problem(arn: re.Match[str], region: str | None, account_id: str | None) -> str | None:
    if region and arn["partition"] != _partition(region):
        return f"must be a secret in this function's partition ({_partition(region)})"
    if region and arn["region"] != region:
        return f"must be a secret in this function's region ({region})"
    if account_id and arn["account"] != account_id:
        return "must be a secret in this function's AWS account"
    return None


def _name_problem(secret_name: str, prefix: str) -> str | None:
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
