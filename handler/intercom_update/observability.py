"""Logger, Tracer and Metrics: one instance each per container, configured by POWERTOOLS_* env.

The defaults below apply only where the environment says nothing (local runs and tests); in
Lambda the template sets POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME") or "intercom-update-user"
METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "IntercomUpdateUser"

logger = Logger(service=SERVICE_NAME)
tracer = Tracer(service=SERVICE_NAME)
metrics = Metrics(service=SERVICE_NAME, namespace=METRICS_NAMESPACE)
