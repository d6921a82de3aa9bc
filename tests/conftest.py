"""Environment for every test: what Lambda would set, minus anything that reaches the cloud."""

from __future__ import annotations

import os

# Set before the handler's modules are imported (Powertools reads them at import time).
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
os.environ.setdefault("AWS_REGION", "eu-west-1")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"  # moto's fake credentials; never real ones
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_SESSION_TOKEN", None)
os.environ["POWERTOOLS_TRACE_DISABLED"] = "1"
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "intercom-update-user")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "IntercomUpdateUserTests")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "DEBUG")
