"""Every cassette is safe to publish and readable in review: no secret, no compressed body."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "cassettes"
CASSETTES = sorted(ROOT.rglob("*.yaml"))

# Each pattern finds a secret a scrubbed cassette never holds.
SECRETS = {
    "a bearer token that is not REDACTED": re.compile(r"(?i)bearer\s+(?!REDACTED\b)[\w.~+/-]+"),
    "an authorization header that is not REDACTED":
        re.compile(r"(?im)^\s*-?\s*authorization:\s*\n?\s*-\s*(?!(?:bearer\s+)?REDACTED\b)\S+"),
    "an x-goog-api-key value that is not REDACTED":
        re.compile(r"(?im)x-goog-api-key:\s*\n?\s*-\s*(?!REDACTED\b)\S+"),
    "a key= query value that is not REDACTED": re.compile(r"[?&]key=(?!REDACTED\b)[^&\s\"']+"),
    "a signed-URL token that is not REDACTED": re.compile(
        r"(?i)[?&](?:_jwt|token|sig|signature|x-goog-signature|x-goog-credential|"
        r"x-amz-signature|x-amz-credential|x-amz-security-token)=(?!REDACTED\b)[^&\s\"']+"),
    "an OpenAI-style key (sk-...)": re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{16,}"),
    "a Google API key (AIza...)": re.compile(r"AIza[0-9A-Za-z_-]{20,}"),
    "a Google OAuth token (ya29....)": re.compile(r"\bya29\.[0-9A-Za-z_-]{10,}"),
    "a JWT (eyJ...)": re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
}
HEADER = re.compile(r"\A# .*written from the published API reference \((?:shared|docs)/reference/"
                    r"[\w.-]+\.md\), not recorded.*--record-mode=once", re.DOTALL)


def test_there_are_cassettes() -> None:
    assert CASSETTES, f"no cassettes under {ROOT}"


@pytest.mark.parametrize("path", CASSETTES, ids=lambda path: str(path.relative_to(ROOT)))
def test_cassette_holds_no_secret(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = {what: match[0] for what, pattern in SECRETS.items()
             if (match := pattern.search(text))}
    assert not found, f"{path.name} holds {found}"


@pytest.mark.parametrize("path", CASSETTES, ids=lambda path: str(path.relative_to(ROOT)))
def test_cassette_body_is_not_compressed(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"(?im)^\s*content-encoding:", text), (
        f"{path.name} holds a compressed body: record with decode_compressed_response")


@pytest.mark.parametrize("path", [p for p in CASSETTES if p.parent.name in {"sora", "veo", "omni"}
                                  or p.parent.parent.name in {"veo", "omni"}],
                         ids=lambda path: str(path.relative_to(ROOT)))
def test_hand_written_cassette_says_so(path: Path) -> None:
    assert HEADER.search(path.read_text(encoding="utf-8")), (
        f"{path.name} needs the header comment: written from the reference, how to re-record")


@pytest.mark.parametrize("text", [
    "Authorization:\n      - Bearer sk-proj-abcdefghijklmnopqrstu\n",
    "uri: https://x.example/v1beta/files/a:download?alt=media&key=AIzaSyA-secret\n",
    "x-goog-api-key:\n      - AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI\n",
    "url: https://cdn.example/video.mp4?_jwt=abc.def.ghi\n",
    "token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig\n",
    "Authorization:\n      - Bearer ya29.a0AfB_byC1234567890\n",
])
def test_scan_catches_each_kind_of_secret(text: str) -> None:
    assert any(pattern.search(text) for pattern in SECRETS.values())


def test_scan_accepts_redacted_values() -> None:
    text = ("Authorization:\n      - REDACTED\nx-goog-api-key:\n      - REDACTED\n"
            "uri: https://x.example/f:download?alt=media&key=REDACTED\n"
            "Authorization:\n      - Bearer REDACTED\n")
    assert not any(pattern.search(text) for pattern in SECRETS.values())
