"""A server scope's handle: its script, journal and assertions over the admin API.

Defined in :mod:`claude_fakes.executors.server.client`.
"""

from __future__ import annotations

from ..executors.server.client import ServerScope

__all__ = ["ServerScope"]
