"""The two drivers of the engine's steps: ``drive`` (``httpx.Client``) and ``adrive``
(``httpx.AsyncClient``).

Each sends the requests a step generator yields, sleeps its ``Sleep`` steps and streams its
``Download`` steps into a part file beside the target, under the per-provider in-flight slots
(``limits.Limiter``). A transport failure is thrown back into the steps (their logic decides
what it means); an interruption (a cancelled task, KeyboardInterrupt) is too, and then goes on
to the caller. Nothing here decides about retries or payment: that is the engine's.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

import httpx

from .engine import UNUSABLE_URL, Download, Downloaded, Sleep, Steps
from .files import Sink as _Sink
from .limits import Limiter
from .wakeups import Wakeups

T = TypeVar("T")


def _undecodable(exc: httpx.DecodingError) -> httpx.TransportError:
    """A body that claims an encoding it does not have is a broken answer, like a cut one:
    the step logic treats it as a transport failure (a submit so answered is uncertain)."""
    try:
        request = exc.request
    except RuntimeError:  # httpx raises when no request was attached
        request = None
    return httpx.RemoteProtocolError(f"undecodable response body ({type(exc).__name__})",
                                     request=request)


def _unusable_location(exc: Exception, step: Any) -> httpx.TransportError:
    """A redirect whose Location no request can carry is a broken answer, like a cut one."""
    request = step.request if isinstance(step, Download) else step
    return httpx.RemoteProtocolError(f"redirect to an unusable location ({exc})",
                                     request=request)


# The interruption being thrown into the steps, while it came before its request reached the
# transport (the step waited for an in-flight slot, or slept): see ``never_sent``.
_UNSENT: ContextVar[BaseException | None] = ContextVar("vidbridge_unsent", default=None)


def never_sent(exc: BaseException) -> bool:
    """Whether ``exc``, an interruption the drivers throw into the steps, stopped the step
    before its request was handed to the transport (nothing left the machine)."""
    return _UNSENT.get() is exc


def _abandon(steps: Steps[Any], exc: BaseException, sent: bool) -> None:
    """Throw an interruption of a step (a cancelled task, KeyboardInterrupt) into the steps,
    so their handlers run now, with it: a submit in flight is marked unanswered, observers
    hear why the request ended. Left suspended, the generator would be closed whenever it is
    collected, its handlers seeing only ``GeneratorExit``. Its own error, if it raises
    another, is what the caller gets; one that carries on is closed (nobody drives it).
    ``sent``: the step's request had been handed to the transport (``never_sent`` says)."""
    unsent = _UNSENT.set(None if sent else exc)
    try:
        steps.throw(exc)
    except StopIteration:
        return
    except BaseException as raised:
        if raised is exc:
            return
        raise
    finally:
        _UNSENT.reset(unsent)
    steps.close()


def drive(steps: Steps[T], client: httpx.Client,
          sleep: Callable[[float], None] = time.sleep, limiter: Limiter | None = None,
          wakeups: Wakeups | None = None) -> T:
    """Run engine steps with a sync client (``limiter``: per-provider in-flight slots;
    ``wakeups``: what ends a poll wait early)."""
    reply: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = steps.throw(error) if error is not None else steps.send(reply)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        reply, error, sent = None, None, False
        try:
            if isinstance(step, Sleep):
                if step.wake is not None and wakeups is not None:
                    wakeups.wait(step.wake, step.seconds, sleep)
                else:
                    sleep(step.seconds)
            elif limiter is None:
                sent = True
                reply = (_download_sync(client, step) if isinstance(step, Download)
                         else client.send(step))
            else:
                with limiter.slot(step.request if isinstance(step, Download) else step):
                    sent = True
                    reply = (_download_sync(client, step) if isinstance(step, Download)
                             else client.send(step))
        except httpx.TransportError as exc:
            error = exc
        except httpx.DecodingError as exc:
            error = _undecodable(exc)
        except UNUSABLE_URL as exc:  # httpx reads a redirect's Location inside send()
            error = _unusable_location(exc, step)
        except BaseException as exc:  # cancelled, Ctrl-C, a transport's own bug
            _abandon(steps, exc, sent)
            raise


async def adrive(steps: Steps[T], client: httpx.AsyncClient,
                 sleep: Callable[[float], Any] | None = None,
                 limiter: Limiter | None = None, wakeups: Wakeups | None = None) -> T:
    """Run engine steps with an async client; ``sleep`` may be sync or async."""
    import anyio

    reply: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = steps.throw(error) if error is not None else steps.send(reply)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        reply, error, sent = None, None, False
        try:
            if isinstance(step, Sleep):
                if step.wake is not None and wakeups is not None and _on_asyncio():
                    await wakeups.await_wait(step.wake, step.seconds, sleep)
                    continue
                waited = (sleep or anyio.sleep)(step.seconds)
                if waited is not None and hasattr(waited, "__await__"):
                    await waited
            elif limiter is None:
                sent = True
                reply = await (_download_async(client, step) if isinstance(step, Download)
                               else client.send(step))
            else:
                async with limiter.slot(step.request if isinstance(step, Download) else step):
                    sent = True
                    reply = await (_download_async(client, step) if isinstance(step, Download)
                                   else client.send(step))
        except httpx.TransportError as exc:
            error = exc
        except httpx.DecodingError as exc:
            error = _undecodable(exc)
        except UNUSABLE_URL as exc:  # httpx reads a redirect's Location inside send()
            error = _unusable_location(exc, step)
        except BaseException as exc:  # cancelled, Ctrl-C, a transport's own bug
            _abandon(steps, exc, sent)
            raise


def _on_asyncio() -> bool:
    """Wakeups wait on asyncio events; under another event loop (trio) a plain sleep."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# Downloads follow redirects (the Gemini API's file URL answers 302 to storage) by hand:
# httpx would carry custom credential headers such as x-goog-api-key to the new host.
MAX_REDIRECTS = 5
CREDENTIAL_HEADERS = frozenset({"authorization", "x-goog-api-key", "x-api-key", "cookie",
                                "proxy-authorization"})


def next_hop(request: httpx.Request, response: httpx.Response) -> httpx.Request:
    """The request a redirect asks for; credentials stay behind when the origin changes."""
    try:
        url = request.url.join(response.headers["location"])
        same_origin = (url.scheme, url.host, url.port) == (
            request.url.scheme, request.url.host, request.url.port)
        headers = {name: value for name, value in request.headers.items()
                   if same_origin or name.lower() not in CREDENTIAL_HEADERS}
        headers.pop("host", None)
        return httpx.Request("GET", url, headers=headers)
    except UNUSABLE_URL as exc:  # retried like a cut answer; a later one may redirect fine
        raise _unusable_location(exc, request) from None


def _download_sync(client: httpx.Client, step: Download) -> Downloaded:
    request = step.request
    for _ in range(MAX_REDIRECTS + 1):
        response = client.send(request, stream=True)
        with contextlib.closing(response):
            if response.is_redirect and "location" in response.headers:
                request = next_hop(request, response)
                continue
            if response.is_error:
                response.read()
                return Downloaded(response)
            sink = _Sink(step.target)
            try:
                for chunk in response.iter_bytes():
                    sink.write(chunk)
            except BaseException:
                sink.close(keep=False)
                raise
            sink.close(keep=True)
            return Downloaded(response, sink.path, sink.written, sink.digest.hexdigest())
    raise httpx.TooManyRedirects("download redirected too often", request=request)


async def _download_async(client: httpx.AsyncClient, step: Download) -> Downloaded:
    request = step.request
    for _ in range(MAX_REDIRECTS + 1):
        response = await client.send(request, stream=True)
        try:
            if response.is_redirect and "location" in response.headers:
                request = next_hop(request, response)
                continue
            if response.is_error:
                await response.aread()
                return Downloaded(response)
            sink = _Sink(step.target)
            try:
                async for chunk in response.aiter_bytes():
                    sink.write(chunk)
            except BaseException:
                sink.close(keep=False)
                raise
            sink.close(keep=True)
            return Downloaded(response, sink.path, sink.written, sink.digest.hexdigest())
        finally:
            await response.aclose()
    raise httpx.TooManyRedirects("download redirected too often", request=request)
