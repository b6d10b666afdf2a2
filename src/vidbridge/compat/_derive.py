"""Remix and extend, said honestly: what each provider can really do with a finished video.

The official API edited the source video (``remix``) or continued it (``extensions``). Behind
a route the source was made by some provider; we look its job up in the ledger and:

- **extend** with the provider's own extension when the source's model has one
  (``ModelCapabilities.supports_extend``: Kling video-extend, Veo 3.1 on Vertex, and whichever
  models announce it),
  so the new clip continues the source;
- otherwise (and for every remix, until a provider with video-to-video is routed) **generate
  anew** from the source's request with the new prompt: a new job with its own content, not
  an edit of the source.

Either way ``video.vidbridge.adjustments`` carries one entry (field ``remix`` or ``extend``)
saying which was done and why, so nobody mistakes a fresh generation for an edit. Sora's own
``/remix`` and ``/extensions`` wire is kept in its adapter, but Sora is retired: no route sends
to it by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import VidbridgeError
from ..models import Job, VideoRef, VideoRequest
from . import _errors as e

if TYPE_CHECKING:
    from ._service import VideoService
    from ._store import VideoRecord

REGENERATED = "generated anew from the source's request with the new prompt"
EXTEND_SECONDS = ("4", "8", "12", "16", "20")  # what the official extensions endpoint takes


@dataclass(frozen=True)
class Derived:
    """A video made from another: what to run, where, and the adjustment that says how."""

    source: VideoRecord
    request: VideoRequest
    target: str
    adjustment: dict[str, Any]


def source_job(service: VideoService, record: VideoRecord) -> Job | None:
    """The provider job that made ``record`` (the last succeeded one in the ledger)."""
    done = [job for state, job in service.core.ledger.by_request(record.id)
            if job.status == "succeeded" and state != "maybe_accepted"]
    return done[-1] if done else None


def _made_by(job: Job | None) -> str:
    return f"{job.provider}:{job.model}" if job is not None else "an unknown model"


def remix(service: VideoService, source: VideoRecord, prompt: str) -> Derived:
    job = source_job(service, source)
    request = service.request_of(source).model_copy(update={"prompt": prompt.strip()})
    return Derived(source, request, source.target, {
        "field": "remix", "asked": f"edit {source.id}", "given": REGENERATED,
        "reason": f"{_made_by(job)} cannot edit an existing video; this is a new job with "
                  "its own content"})


def extend(service: VideoService, source: VideoRecord, prompt: str, seconds: Any) -> Derived:
    text = str(seconds).strip() if isinstance(seconds, str | int) else ""
    if isinstance(seconds, bool) or text not in EXTEND_SECONDS:
        raise e.BadRequestError(f"Invalid value: '{seconds}'. 'seconds' of an extension must "
                                f"be one of {', '.join(EXTEND_SECONDS)}.", param="seconds",
                                code="invalid_value")
    job = source_job(service, source)
    target = _native_extension(service, job)
    if job is not None and target is not None:
        request = VideoRequest(prompt=prompt.strip(), duration=int(text),
                               extend=VideoRef.of(job))
        return Derived(source, request, target, {
            "field": "extend", "asked": f"continue {source.id}",
            "given": f"extended with {target}'s own extension",
            "reason": "the provider that made the source continues it"})
    request = service.request_of(source).model_copy(
        update={"prompt": prompt.strip(), "duration": int(text)})
    return Derived(source, request, source.target, {
        "field": "extend", "asked": f"continue {source.id}", "given": REGENERATED,
        "reason": f"{_made_by(job)} cannot extend a video; this new clip is not stitched to "
                  "the source"})


def _native_extension(service: VideoService, job: Job | None) -> str | None:
    """``provider:model`` of the source's model if it can extend its own videos."""
    if job is None:
        return None
    try:
        caps = service.core.adapter(job.provider).models.get(job.model)
    except VidbridgeError:
        return None
    return f"{job.provider}:{job.model}" if caps is not None and caps.supports_extend else None
