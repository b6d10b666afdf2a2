"""The minimal crash examples of issue 11, one per adapter site: each is now a typed error
(or a parsed job) naming what was wrong. The fuzz suite (tests/contract) covers the rest."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import vidbridge
from vidbridge import Job, VidbridgeError, errors
from vidbridge.testing.fuzz import fuzz_plan


def plan_for(name: str) -> vidbridge.Plan:
    found = fuzz_plan(vidbridge.providers()[name])
    assert found is not None
    return found


def call(name: str, parser: str, status: int, body: Any) -> Any:
    provider: Any = vidbridge.providers()[name]
    content = body if isinstance(body, bytes) else None
    response = (httpx.Response(status, content=content) if content is not None
                else httpx.Response(status, json=body))
    previous = Job(provider=name, id="job-1", status="running", meta={"family": "text2video"})
    if parser == "parse_job":
        return provider.parse_job(response, previous)
    if parser == "raise_for_error":
        return provider.raise_for_error(response)
    return getattr(provider, parser)(response, plan_for(name))


@pytest.mark.parametrize("name", ["sora", "veo", "runway", "kling"])
def test_garbage_retry_after_is_ignored(name: str) -> None:
    provider = vidbridge.providers()[name]
    with pytest.raises(vidbridge.RateLimitError) as raised:
        provider.raise_for_error(httpx.Response(429, headers={"retry-after": "abc"}))
    assert raised.value.retry_after is None


@pytest.mark.parametrize("value", ["abc", "", "inf", "nan", "1e400", "²", "Wed, 99 Foo"])
def test_retry_after_never_raises(value: str) -> None:
    assert errors.retry_after_seconds({"retry-after": value}) is None
    assert errors.retry_after_seconds({"retry-after-ms": value}) is None


@pytest.mark.parametrize("name", ["sora", "veo", "runway", "kling"])
def test_absurd_nesting_is_no_recursion_error(name: str) -> None:
    assert errors.response_json(httpx.Response(200, content=b"[" * 100_000)) is None
    with pytest.raises(VidbridgeError):
        call(name, "parse_job", 200, b"[" * 100_000)


CASES = [
    ("sora", "parse_job", 200, {"id": "v", "status": "cancelled"}, "unknown status 'cancelled'"),
    ("sora", "raise_for_error", 400, {"error": {"code": []}}, "HTTP 400 from sora"),
    ("sora", "parse_lookup", 200, {"data": [1]}, r"not a list of Video objects \(data.0"),
    ("veo", "parse_job", 200, {}, r"not an operation \(name"),
    ("veo", "parse_job", 200, {"name": "o", "done": True, "response": True}, "response"),
    ("veo", "parse_job", 200, {"name": "o", "done": True, "response": {
        "videos": [{"bytesBase64Encoded": "A"}]}}, "not base64"),
    ("runway", "parse_submit", 200, {}, r"not a task object \(id"),
    ("runway", "parse_job", 200, {"id": "t", "status": "NEW"}, "unknown status 'NEW'"),
    ("kling", "parse_job", 200, {"code": []}, "not a Kling envelope"),
    ("kling", "parse_job", 200, {"code": 0, "data": {"task_id": "t", "task_status": "succeed",
                                                     "task_result": {"videos": ["u"]}}},
     r"task_result.videos.0"),
]


@pytest.mark.parametrize(("name", "parser", "status", "body", "says"), CASES)
def test_wrong_shapes_are_typed_errors_naming_what_came(name: str, parser: str, status: int,
                                                        body: Any, says: str) -> None:
    with pytest.raises(vidbridge.ProviderError, match=says) as raised:
        call(name, parser, status, body)
    assert raised.value.provider == name and raised.value.status == status


@pytest.mark.parametrize(("name", "body"), [
    ("runway", {"id": "t", "status": "FAILED", "createdAt": "yesterday", "failureCode": 1}),
    ("kling", {"code": 0, "data": {"task_id": "t", "task_status": "failed",
                                   "task_status_msg": 1, "created_at": 10**30}}),
])
def test_odd_but_readable_fields_still_parse(name: str, body: Any) -> None:
    job = call(name, "parse_job", 200, body)
    assert job.status == "failed" and job.created_at is None


def test_an_unreadable_submit_answer_is_uncertain_not_retryable() -> None:
    with pytest.raises(vidbridge.SubmitUncertainError) as raised:
        call("kling", "parse_submit", 200, b'{"code": 0, "data": {"task_id": ')
    assert not raised.value.retryable
    assert "the job may have been accepted" in str(raised.value)
