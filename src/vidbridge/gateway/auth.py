"""Gateway keys: read from the environment variable the config names, compared in constant
time. A caller is known by a digest of its key (its ``owner``), so no key is ever stored,
logged or echoed; each key sees only its own videos."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
from collections.abc import Mapping

from ..compat._errors import AuthenticationError
from ..errors import ConfigError

log = logging.getLogger("vidbridge.gateway")
ANONYMOUS = "anonymous"
MISSING = ("You didn't provide an API key. You need to provide your API key in an "
           "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
WRONG = "Incorrect API key provided. Use a key listed in this gateway's key variable."


class GatewayKeys:
    """The keys that may call the gateway, or none at all in ``insecure`` mode."""

    def __init__(self, keys: list[str], *, insecure: bool = False) -> None:
        self._keys = [key.encode() for key in keys]
        self.insecure = insecure

    @classmethod
    def from_env(cls, variable: str, *, insecure: bool = False,
                 environ: Mapping[str, str] | None = None,
                 extra: list[str] | None = None) -> GatewayKeys:
        """``extra``: the secrets of named keys (``[gateway.keys.*]``), accepted as well."""
        env = os.environ if environ is None else environ
        keys = [key.strip() for key in env.get(variable, "").split(",") if key.strip()]
        keys += extra or []
        if insecure:
            log.warning("!!! vidbridge gateway running WITHOUT authentication "
                        "(insecure_no_auth): anyone who can reach it spends your provider "
                        "credit. For local development only. !!!")
            return cls([], insecure=True)
        if not keys:
            raise ConfigError(f"the gateway needs keys: set ${variable} to one or more "
                              "comma-separated secrets (or run with --insecure-no-auth for "
                              "local development only)")
        return cls(keys)

    def accepts(self, key: str) -> bool:
        """Whether ``key`` is one of these keys (start-up checks; not for requests)."""
        return any(hmac.compare_digest(known, key.encode()) for known in self._keys)

    def owner(self, authorization: str | None) -> str:
        """The caller's owner id from an ``Authorization`` header, or 401."""
        if self.insecure:
            return ANONYMOUS
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise AuthenticationError(MISSING)
        given = presented.strip().encode()
        matched = False
        for key in self._keys:  # every key is compared, so timing says nothing about which
            matched |= hmac.compare_digest(key, given)
        if not matched:
            raise AuthenticationError(WRONG, code="invalid_api_key")
        return "key_" + hashlib.sha256(given).hexdigest()[:24]


def refuse_open_bind(host: str, insecure: bool) -> None:
    """Without auth the gateway may only listen on loopback."""
    if not insecure:
        return
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(f"--insecure-no-auth serves without keys, so it only binds a "
                          f"loopback address (127.0.0.1), not {host!r}; set gateway keys to "
                          "listen on other interfaces")
