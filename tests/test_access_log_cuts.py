"""Secrets our own routes carry in their paths stay out of the access log."""

from __future__ import annotations

import logging

from vidbridge.gateway.callbacks import CUT
from vidbridge.gateway.links import _SIGNATURE
from vidbridge.redaction import cut_from_access_log


def test_link_signatures_and_callback_tokens_are_cut_once_each() -> None:
    name = "test.access.cuts"
    logger = logging.getLogger(name)
    for _ in range(2):  # idempotent: one filter per pattern
        cut_from_access_log(_SIGNATURE, name)
        cut_from_access_log(CUT, name)
    assert len(logger.filters) == 2
    record = logging.LogRecord(name, logging.INFO, __file__, 1, '%s "%s %s"', (
        "127.0.0.1", "GET", "/v1/vidbridge/links/video_1/content?expires=9&signature=s3cr3t"),
        None)
    token = logging.LogRecord(name, logging.INFO, __file__, 1, '"%s %s"', (
        "POST", "/callbacks/kling/AbCdEfGhIjKlMnOpQrSt"), None)
    for log_filter in logger.filters:
        log_filter.filter(record)
        log_filter.filter(token)
    assert "s3cr3t" not in record.getMessage() and "signature=REDACTED" in record.getMessage()
    assert token.getMessage() == '"POST /callbacks/kling/REDACTED"'
