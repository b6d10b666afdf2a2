"""Compact HS256 JWTs, enough to check Kling access tokens and sign Runway output URLs.

Written out (about 40 lines) instead of importing PyJWT so that the simulator stays
standalone and never shares a JWT code path with the Kling adapter it is meant to check.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any


class TokenError(ValueError):
    """A token that is not a well-formed HS256 JWT, or whose signature does not match."""


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise TokenError("segment is not base64url") from error


def sign(claims: dict[str, Any], secret: str) -> str:
    """An HS256 JWT over `claims`."""
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(signature)}"


def decode(token: str, secret: str | None) -> dict[str, Any]:
    """The claims of an HS256 JWT; checks the signature only when `secret` is given."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise TokenError("not a compact JWS (three dot-separated parts)")
    try:
        header = json.loads(_unb64url(parts[0]))
        claims = json.loads(_unb64url(parts[1]))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TokenError("header or payload is not JSON") from error
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise TokenError("alg is not HS256")
    if not isinstance(claims, dict):
        raise TokenError("payload is not a JSON object")
    signature = _unb64url(parts[2])
    if secret is not None:
        expected = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(),
                            hashlib.sha256).digest()
        if not hmac.compare_digest(signature, expected):
            raise TokenError("signature does not match")
    return claims
