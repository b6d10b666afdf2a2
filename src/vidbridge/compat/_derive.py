"""Remix and extend, said honestly: what each provider can really do with a finished video.

The official API edited the source video (``remix``) or continued it (``extensions``). Behind
a route the source was made by some provider; we look its job up in the ledger and:

- **extend** with the provider's own extension when the source's model has one
  (``ModelCapabilities.supports_extend``: Kling video-extend, Veo 3.1 on Vertex, and whichever
  models announce it),
  so the new clip continues the source;
- **remix** with a video-to-video model when the source's route (or model) has a candidate
  that takes a source video (``ModelCapabilities.video_input``: Runway aleph2): the source's
  stored content and the new prompt go to it, so the new clip is an edit of the source;
- otherwise **generate anew** from the source's request with the new prompt: a new job with
  its own content, not an edit of the source.

Either way ``video.vidbridge.adjustments`` carries one entry (field ``remix`` or ``extend``;
a remix's ``given`` is ``"video-to-video"`` or the re-generation sentence) saying which was
done and why, so nobody mistakes a fresh generation for an edit. Sora's own
``/remix`` and ``/extensions`` wire is kept in its adapter, but Sora is retired: no route sends
to it by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..client import split_model
from ..errors import VidbridgeError
from ..models import Job, VideoInput, VideoRef, VideoRequest
from . import _errors as e

if TYPE_CHECKING:
    from ._service import VideoService
    from ._store import VideoRecord

REGENERATED = "generated anew from the source's request with the new prompt"
VIDEO_TO_VIDEO = "video-to-video"
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
    editor = video_editor(service, source.target)
    if editor is not None:
        path, _ = service.content(source.owner, source.id)  # a local copy of the source
        # The edit keeps the source's length (the model's output follows its input).
        request = VideoRequest(prompt=prompt.strip(), source_video=VideoInput(path=path),
                               duration=float(source.seconds))
        return Derived(source, request, editor, {
            "field": "remix", "asked": f"edit {source.id}", "given": VIDEO_TO_VIDEO,
            "reason": f"{editor} edited the source video (made by {_made_by(job)}) with the "
                      "new prompt; a new job with its own content"})
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


def video_editor(service: VideoService, target: str) -> str | None:
    """The first ``provider:model`` behind ``target`` (a route's candidates, or the model
    itself) that takes a source video, is not retired and has credentials; else None."""
    core = service.core
    candidates = ([target] if not core.is_route(target) or core.config is None
                  else core.config.route(target)[1].candidates)
    for candidate in candidates:
        try:
            provider, model = split_model(candidate)
            caps = core.capabilities(provider, model)
            if caps.video_input and caps.lifecycle.status(core.today()) != "retired":
                core.creds_for(provider)  # raises when the provider has none
                return candidate
        except VidbridgeError:
            continue
    return None


def _native_extension(service: VideoService, job: Job | None) -> str | None:
    """``provider:model`` of the source's model if it can extend its own videos."""
    if job is None:
        return None
    try:
        caps = service.core.adapter(job.provider).models.get(job.model)
    except VidbridgeError:
        return None
    return f"{job.provider}:{job.model}" if caps is not None and caps.supports_extend else None
