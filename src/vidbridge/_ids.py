"""Identifiers vidbridge makes up for itself."""

from __future__ import annotations

import secrets


def new_request_key() -> str:
    """A fresh request key: 12 hex characters (48 random bits), the shape a ``uuid4().hex[:12]``
    had, without building a UUID object per request on the hot path."""
    return secrets.token_hex(6)
