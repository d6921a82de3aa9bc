"""A local Intercom REST API sandbox (2.x contacts, companies, data attributes) for tests.

Standard library only, and independent of the product code it tests.
"""

from intercom_sandbox.exchange import Exchange
from intercom_sandbox.faults import Fault
from intercom_sandbox.server import IntercomSandbox

__all__ = ["Exchange", "Fault", "IntercomSandbox"]
