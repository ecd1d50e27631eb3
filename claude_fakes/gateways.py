"""Gateways in front of the API (Vercel, Cloudflare, API Gateway …) and their time limits.

Defined in :mod:`claude_fakes.core.gateways`.
"""

from __future__ import annotations

from .core.gateways import GATEWAYS, Gateway, gateway_from

__all__ = ["GATEWAYS", "Gateway", "gateway_from"]
