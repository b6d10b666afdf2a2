"""Admin keys for the dashboard (and ``/metrics``): separate from the API keys.

An admin sends its key as ``Authorization: Bearer`` or types it once into the login form,
which sets an HttpOnly, SameSite=Strict cookie. The cookie never holds the key: it holds an
expiry, a key id and a MAC made with a secret drawn when the process starts (so a restart
signs everyone out, and removing a key from the variable ends its sessions). Keys are compared
in constant time, every key every time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

COOKIE = "vidbridge_admin"
SESSION_TTL_S = 12 * 3600
HOME = "/dashboard"


class AdminKeys:
    """The admin keys from ``$<admin_keys_env>``; none means the dashboard is closed."""

    def __init__(self, keys: list[str], *, clock: Callable[[], float] = time.time,
                 session_ttl_s: float = SESSION_TTL_S) -> None:
        self._secret = secrets.token_bytes(32)
        self._keys = [key.encode() for key in keys]
        self._ids = {self._key_id(key) for key in self._keys}
        self.clock = clock
        self.session_ttl_s = session_ttl_s

    @classmethod
    def from_env(cls, variable: str, environ: Mapping[str, str] | None = None) -> AdminKeys:
        env = os.environ if environ is None else environ
        return cls([key.strip() for key in env.get(variable, "").split(",") if key.strip()])

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def overlaps(self, is_api_key: Callable[[str], bool]) -> bool:
        """Whether an admin key is also an API key (refused: they must stay separate)."""
        return any(is_api_key(key.decode()) for key in self._keys)

    def _key_id(self, key: bytes) -> str:
        return hmac.new(self._secret, b"key:" + key, hashlib.sha256).hexdigest()[:16]

    def match(self, presented: str | None) -> str | None:
        """The id of the admin key presented, or None; constant time over every key."""
        if not presented:
            return None
        given = presented.strip().encode()
        found = None
        for key in self._keys:
            if hmac.compare_digest(key, given):
                found = key
        return self._key_id(found) if found is not None else None

    # -- sessions --------------------------------------------------------------------------
    def _mac(self, payload: str) -> str:
        return hmac.new(self._secret, b"session:" + payload.encode(),
                        hashlib.sha256).hexdigest()

    def issue(self, key_id: str) -> str:
        payload = f"{int(self.clock() + self.session_ttl_s)}.{key_id}.{secrets.token_hex(8)}"
        return f"{payload}.{self._mac(payload)}"

    def session_ok(self, token: str | None) -> bool:
        if not token or token.count(".") != 3:
            return False
        payload, _, mac = token.rpartition(".")
        if not hmac.compare_digest(mac.encode(), self._mac(payload).encode()):
            return False
        expires, key_id, _ = payload.split(".")
        return expires.isdigit() and int(expires) > self.clock() and key_id in self._ids

    def allows(self, authorization: str | None, cookie: str | None) -> bool:
        """Whether a request carries an admin key (bearer) or a valid session cookie."""
        if not self.enabled:
            return False
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and self.match(presented) is not None:
            return True
        return self.session_ok(cookie)


def safe_next(target: str | None) -> str:
    """Where to go after login: a path under /dashboard on this site, never elsewhere."""
    if not target or "\\" in target or not target.isprintable():
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return HOME
    if parts.path != HOME and not parts.path.startswith(HOME + "/"):
        return HOME
    return target
