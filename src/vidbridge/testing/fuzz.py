"""``ParserFuzzSuite``: hostile provider answers, thrown at every parser of an adapter.

Subclass it and override the ``provider`` fixture (as with ``ContractSuite``)::

    class TestAcmeParsers(ParserFuzzSuite):
        @pytest.fixture
        def provider(self) -> VideoProvider:
            return Acme()

Each test draws responses with hypothesis -- the adapter's own cassette bodies with fields
replaced by values of every JSON type, deleted or nested; random JSON; truncated JSON; HTML
error pages; empty, binary and huge bodies; absurd nesting; every status from 100 to 599;
odd ``Retry-After`` and poll hints -- and feeds them to ``parse_submit``, ``parse_job``,
``raise_for_error`` and, when the adapter has it, ``parse_lookup``. A parser may return, or
raise a ``VidbridgeError``; anything else (``KeyError``, ``TypeError``, ``ValueError``,
``RecursionError``...) fails the test with the smallest body that caused it.

``FUZZ_EXAMPLES`` (300) examples per parser run by default; ``--slow`` (when the project's
conftest registers it, as ours does) or ``VIDBRIDGE_FUZZ_EXAMPLES=N`` runs more.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..errors import VidbridgeError
from ..models import Job, Plan
from ..normalisation import normalise
from ..provider import VideoProvider
from .scenarios import fake_credentials, image_request, text_request

FUZZ_EXAMPLES = 300
SLOW_EXAMPLES = 3000
TODAY = date(2026, 1, 1)  # a fixed day: which model the plan uses does not drift
HTML_PAGE = (b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
             b"<h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>")
ODD_HEADERS = ("retry-after", "retry-after-ms", "openai-poll-after-ms", "x-request-id",
               "content-type", "location")
ODD_HEADER_VALUES = ("abc", "", "-1", "1e400", "inf", "nan", "0x10", "²", "10", "1.5",
                     "Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 99 Foo 99999 99:99:99 GMT",
                     "application/json", "text/html", "9" * 400, "\u00e9t\u00e9")


def fuzz_examples(config: pytest.Config | None = None) -> int:
    """Examples per parser: ``VIDBRIDGE_FUZZ_EXAMPLES``, else more under ``--slow``."""
    if (forced := os.environ.get("VIDBRIDGE_FUZZ_EXAMPLES", "")).isdigit():
        return int(forced)
    slow = bool(config.getoption("--slow", default=False)) if config is not None else False
    return SLOW_EXAMPLES if slow else FUZZ_EXAMPLES


# --- strategies -------------------------------------------------------------------------------

_scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=10**20)
            | st.floats(allow_nan=False) | st.text(max_size=20)
            | st.sampled_from(["", "0", "1", "yesterday", "SUCCEEDED", "succeed", "done",
                               "completed", "failed", "cancelled", "https://x.invalid/v.mp4",
                               "A", "AA==", "!!", "\u00b2", "-1", "1e309"]))


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value, small: scalars, lists and objects nested a few levels."""
    return st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                        max_leaves=max_leaves)


# Built once: constructing a recursive strategy per draw costs more than drawing from it.
_SMALL_JSON = json_values(6)
_JSON = json_values(12)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any, delete: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        if delete and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _replace(value[head], rest, new, delete)
        return copy
    copy_list = list(value)
    if delete and not rest:
        del copy_list[head]
    else:
        copy_list[head] = _replace(value[head], rest, new, delete)
    return copy_list


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any]) -> Any:
    """A seed body with one to three fields replaced by any JSON value, or deleted."""
    body = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(body)))
        delete = bool(path) and draw(st.booleans())
        body = _replace(body, path, draw(_SMALL_JSON), delete)
    return body


@st.composite
def bodies(draw: st.DrawFn, seeds: list[Any]) -> bytes:
    """Response bytes of every kind a broken or hostile server sends."""
    kind = draw(st.sampled_from(["mutated", "mutated", "mutated", "seed", "random", "truncated",
                                 "html", "empty", "binary", "deep", "huge", "non_utf8",
                                 "long_number"]))
    if kind == "mutated" and seeds:
        return json.dumps(draw(mutated(seeds))).encode()
    if kind == "seed" and seeds:
        return json.dumps(draw(st.sampled_from(seeds))).encode()
    if kind == "truncated" and seeds:
        text = json.dumps(draw(st.sampled_from(seeds))).encode()
        return text[:draw(st.integers(0, max(0, len(text) - 1)))]
    if kind == "html":
        return HTML_PAGE
    if kind == "empty":
        return b""
    if kind == "binary":
        return draw(st.binary(max_size=64))
    if kind == "deep":
        opener = draw(st.sampled_from([b"[", b'{"a":', b'{"data":', b'{"error":']))
        return opener * draw(st.sampled_from([100, 5000, 100_000]))
    if kind == "huge":
        return b'{"id": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    if kind == "non_utf8":
        return b'{"id": "\xff\xfe", "status": "\xc3"}'
    if kind == "long_number":
        return b'{"id": 1, "status": ' + b"9" * 5000 + b', "code": ' + b"1" * 5000 + b"}"
    return json.dumps(draw(_JSON)).encode()


@st.composite
def headers(draw: st.DrawFn) -> list[tuple[bytes, bytes]]:
    """A few of the headers parsers read, with odd values (as raw latin-1 bytes, as sent)."""
    names = draw(st.lists(st.sampled_from(ODD_HEADERS), max_size=3, unique=True))
    printable = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=30)
    return [(name.encode(), draw(st.sampled_from(ODD_HEADER_VALUES) | printable).encode(
        "latin-1")) for name in names]


@st.composite
def responses(draw: st.DrawFn, seeds: list[tuple[int, Any]]) -> httpx.Response:
    """An ``httpx.Response`` with a status from 100 to 599 (often a seed's), headers, body."""
    statuses = sorted({status for status, _ in seeds}) or [200]
    status = draw(st.sampled_from(statuses) | st.integers(100, 599)
                  | st.sampled_from([200, 201, 400, 401, 404, 429, 500, 503]))
    content = draw(bodies([body for _, body in seeds]))
    request = httpx.Request("GET", "https://fuzz.invalid/v1/job")
    return httpx.Response(status, headers=draw(headers()), content=content, request=request)


# --- seeds: the adapter's own cassettes --------------------------------------------------------

def cassette_seeds(folder: Path) -> list[tuple[int, Any]]:
    """``(status, JSON body)`` of every JSON response recorded under ``folder``."""
    import yaml  # type: ignore[import-untyped]  # vcrpy's dependency

    seeds: list[tuple[int, Any]] = []
    for path in sorted(folder.rglob("*.yaml")) if folder.is_dir() else ():
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for interaction in document.get("interactions") or ():
            response = interaction.get("response") or {}
            text = (response.get("body") or {}).get("string")
            try:
                body = json.loads(text) if text else None
            except (ValueError, TypeError):
                continue
            if body is not None:
                seeds.append((int((response.get("status") or {}).get("code", 200)), body))
    return seeds


def fuzz_plan(provider: VideoProvider) -> Plan | None:
    """A plan for the adapter's first live model that takes a contract request, or None.

    No credentials are involved: parsers read responses, never the configuration.
    """
    models = sorted(provider.models.items(),
                    key=lambda item: item[1].lifecycle.retired_on is not None)
    for model, caps in models:
        for make in (text_request, image_request):
            try:
                return normalise(make(), caps, provider=provider.name, model=model,
                                 today=TODAY)
            except VidbridgeError:
                continue
    return None


# --- the suite ----------------------------------------------------------------------------------

# Job ids an answer (or a person's --adopt) might carry that would steer a request carrying
# the key elsewhere on the provider's host if pasted into its URL as they are.
STEERING_IDS = ("/../../escape", "?escape=1", "#escape", "/%2e%2e/escape")


def steered(request: httpx.Request, plain: httpx.Request, plain_id: str) -> bool:
    """Whether ``request`` (built for ``plain_id`` + a ``STEERING_IDS`` suffix) left the
    place ``plain`` (built for ``plain_id``) has: another host, an ``escape`` query or a
    fragment, or a path that does not keep the plain one up to and including the id."""
    url, raw = request.url, request.url.raw_path.split(b"?")[0]
    if url.host != plain.url.host or "escape" in url.params or url.fragment:
        return True
    known, placed = plain.url.raw_path.split(b"?")[0], plain_id.encode()
    at = known.find(placed)
    return not raw.startswith(known[:at + len(placed)]) if at >= 0 else raw != known


class ParserFuzzSuite:
    """Every parser of an adapter under hostile answers: only ``VidbridgeError`` comes out."""

    @pytest.fixture
    def provider(self) -> VideoProvider:
        raise NotImplementedError("override the provider fixture")

    @pytest.fixture
    def seeds(self, provider: VideoProvider, request: pytest.FixtureRequest
              ) -> list[tuple[int, Any]]:
        return cassette_seeds(request.config.rootpath / "cassettes" / provider.name)

    @pytest.fixture
    def plan(self, provider: VideoProvider) -> Plan:
        found = fuzz_plan(provider)
        if found is None:
            pytest.skip(f"no {provider.name} model takes the contract's requests")
        return found

    @pytest.fixture
    def previous(self, provider: VideoProvider, plan: Plan,
                 seeds: list[tuple[int, Any]]) -> Job:
        """The job a poll follows: what the adapter made of a recorded submit answer."""
        for status, body in seeds:
            if 200 <= status < 300:
                try:
                    return provider.parse_submit(httpx.Response(status, json=body), plan)
                except VidbridgeError:
                    continue
        return Job(provider=provider.name, model=plan.model, id="fuzz-job", status="running")

    @pytest.fixture
    def examples(self, request: pytest.FixtureRequest) -> int:
        return fuzz_examples(request.config)

    def check(self, parser: Callable[[httpx.Response], Any], seeds: list[tuple[int, Any]],
              examples: int) -> int:
        """Run ``parser`` on ``examples`` drawn responses; returns how many ran."""
        ran = 0

        @settings(max_examples=examples, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.filter_too_much])
        @given(responses(seeds))
        def run(response: httpx.Response) -> None:
            nonlocal ran
            ran += 1
            with contextlib.suppress(VidbridgeError):  # typed errors are the allowed outcome
                parser(response)

        run()
        return ran

    def test_parse_submit(self, provider: VideoProvider, plan: Plan,
                          seeds: list[tuple[int, Any]], examples: int) -> None:
        assert self.check(lambda r: provider.parse_submit(r, plan), seeds, examples)

    def test_parse_job(self, provider: VideoProvider, previous: Job,
                       seeds: list[tuple[int, Any]], examples: int) -> None:
        assert self.check(lambda r: provider.parse_job(r, previous), seeds, examples)

    def test_raise_for_error(self, provider: VideoProvider, seeds: list[tuple[int, Any]],
                             examples: int) -> None:
        assert self.check(provider.raise_for_error, seeds, examples)

    def test_parse_lookup(self, provider: VideoProvider, plan: Plan,
                          seeds: list[tuple[int, Any]], examples: int) -> None:
        parse_lookup = getattr(provider, "parse_lookup", None)
        if parse_lookup is None:
            pytest.skip(f"{provider.name} has no parse_lookup")
        assert self.check(lambda r: parse_lookup(r, plan), seeds, examples)

    def test_a_job_id_cannot_steer_a_request(self, provider: VideoProvider,
                                             previous: Job) -> None:
        """A hostile id is percent-encoded or refused (``httpx.InvalidURL``, which the engine
        reports as the answer's ``ProviderError``): never a path, query or host of its own."""
        creds = fake_credentials(provider)
        builders: list[Callable[[Job], httpx.Request | None]] = [
            lambda job: provider.build_poll(job, creds),
            lambda job: provider.build_cancel(job, creds),
            lambda job: provider.build_download(job.model_copy(update={"output_url": None}),
                                                creds, "video")]
        checked = 0
        for build in builders:
            try:
                plain = build(previous)
            except (VidbridgeError, ValueError):
                continue  # this adapter builds no such request from an id
            if plain is None:
                continue
            for suffix in STEERING_IDS:
                job = previous.model_copy(update={"id": previous.id + suffix})
                try:
                    request = build(job)
                except (httpx.InvalidURL, VidbridgeError):
                    continue
                assert request is not None, f"job id {job.id!r} built no request"
                assert not steered(request, plain, previous.id), (
                    f"job id {job.id!r} steered {request.method} to {request.url}")
                checked += 1
        assert checked, "no request was built from a job id"
