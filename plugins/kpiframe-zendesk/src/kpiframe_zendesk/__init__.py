"""kpiframe-zendesk: Zendesk's incremental ticket export as a kpiframe source.

This package imports only kpiframe's public API (``import kpiframe``), as any
third-party plugin should.
"""

from __future__ import annotations

import kpiframe
from kpiframe_zendesk.connector import ZendeskConnector

KPIFRAME_PLUGIN_API = 1
__version__ = "0.1.0"


@kpiframe.hookimpl
def kpiframe_register_connectors() -> list[kpiframe.Connector]:
    return [ZendeskConnector()]
