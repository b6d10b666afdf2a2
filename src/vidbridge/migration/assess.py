"""A verdict for each call site: what the configured routes would do with it, with no HTTP.

A create is screened by the router's pre-flight check (``VideoClient.check``), exactly what
``vidbridge check`` prints; follow-up calls (retrieve, list, download...) are answered from
what ``vidbridge.compat`` and the gateway serve. Verdicts, from best to worst:
``ok``, ``ok with adjustments``, ``needs a change`` (the code must change to reach the
gateway or keep working) and ``no candidate`` (nothing configured can serve it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .scan import Site
from .scan import compat_serves as _compat_has

if TYPE_CHECKING:
    from ..client import ClientCore

OK, ADJUSTED, CHANGE, NONE = "ok", "ok with adjustments", "needs a change", "no candidate"
RANK = {OK: 0, ADJUSTED: 1, CHANGE: 2, NONE: 3}
# What the compat layer and the gateway do for calls that need no provider pre-flight.
FOLLOW_UPS = {
    "retrieve": (OK, "served from vidbridge's video store (ids outlive the process)"),
    "poll": (OK, "served from vidbridge's video store"),
    "list": (OK, "served from vidbridge's video store"),
    "delete": (OK, "deletes vidbridge's copy; providers keep no deletable job"),
}
VARIANTS = {"thumbnail": "thumbnail variant: made locally from the MP4 (WebP)",
            "spritesheet": "spritesheet variant: made locally from the MP4 (3x3 JPEG grid)"}


def assess(site: Site, core: ClientCore) -> dict[str, Any]:
    """The JSON-ready report of one site (the documented ``migrate --json`` object)."""
    verdict, reasons, candidates = _judge(site, core)
    for change in site.changes:
        verdict = _worst(verdict, CHANGE)
        reasons.append(change)
    return {"file": site.file, "line": site.line, "call": site.call, "api": site.api,
            "operation": site.operation, "async": site.is_async,
            "arguments": site.arguments, "verdict": verdict, "reasons": reasons,
            "candidates": candidates}


def _worst(a: str, b: str) -> str:
    return a if RANK[a] >= RANK[b] else b


def _judge(site: Site, core: ClientCore) -> tuple[str, list[str], list[dict[str, Any]]]:
    operation = site.operation
    if operation in {"create", "create_and_poll"}:
        return _create(site, core)
    if operation in FOLLOW_UPS:
        verdict, reason = FOLLOW_UPS[operation]
        return verdict, [reason], []
    if operation == "download_content":
        variant = site.arguments.get("variant", "video")
        if variant in VARIANTS:
            return ADJUSTED, [VARIANTS[variant]], []
        return OK, ["the MP4 the route's provider made"], []
    if operation == "remix":
        if _compat_has("remix"):
            return ADJUSTED, ["remix: re-generated from the original request with the new "
                              "prompt (providers behind a route cannot edit a video)"], []
        return CHANGE, ["remix is not served by vidbridge.compat"], []
    if operation == "extend" and _compat_has("extend"):
        return ADJUSTED, ["extend: the provider's own extension where the source's model has "
                          "one (Kling video-extend, Veo 3.1 on Vertex), else a new clip from "
                          "the source's request (not stitched); vidbridge.adjustments says "
                          "which"], []
    if _compat_has(operation):
        return ADJUSTED, [f"{operation}: served by vidbridge.compat"], []
    return CHANGE, [f"{operation}: not served by vidbridge.compat or the gateway; generate a "
                    "new video from the original request instead"], []


def _create(site: Site, core: ClientCore) -> tuple[str, list[str], list[dict[str, Any]]]:
    from ..compat._service import DEFAULT_MODEL, DEFAULT_SECONDS, DEFAULT_SIZE
    from ..errors import VidbridgeError
    from ..models import ImageInput, VideoRequest

    args = site.arguments
    model = args.get("model", DEFAULT_MODEL)
    if site.api == "litellm" and isinstance(model, str):
        model = model.removeprefix("openai/")
    target = _target(model, core)
    if target is None:
        return NONE, [f"model {model!r} is no route, alias or provider:model in the config "
                      "(the gateway answers 404); add an alias for it"], []
    seconds = args.get("seconds", DEFAULT_SECONDS)
    try:
        request = VideoRequest(
            prompt=args.get("prompt") if isinstance(args.get("prompt"), str) and
            args["prompt"].strip() else "(prompt not a literal)",
            duration=int(str(seconds)), size=args.get("size", DEFAULT_SIZE),
            # The file itself is unknown here; a URL stands in so image-only models count.
            image=ImageInput(url="https://input-reference.invalid/image.png")
            if site.has_image else None)
    except (ValueError, VidbridgeError) as exc:
        return NONE, [f"the arguments cannot make a request: {' '.join(str(exc).split())}"], []
    checks = _checks(request, target, core)
    candidates = [candidate_row(check) for check in checks]
    chosen = next((check for check in checks if check.ok), None)
    if chosen is None:
        return NONE, [f"{c['model']} cannot: {_without_name(c['reason'], c['model'])}"
                      for c in candidates], candidates
    name = f"{chosen.provider}:{chosen.model}"
    cost = (f", estimated ${chosen.estimated_cost_usd:.2f}"
            if chosen.estimated_cost_usd is not None else "")
    reasons = [f"served by {name}" + (f" (route {target!r})" if target != name else "") + cost]
    reasons += [f"{a.field} {a.asked} → {a.given}: {a.reason}" for a in chosen.adjustments]
    for other in candidates:
        if other["model"] == f"{chosen.provider}:{chosen.model}":
            continue
        changes = ", ".join(f"{a['field']} {a['asked']}→{a['given']}"
                            for a in other["adjustments"])
        reasons.append(f"{other['model']} also serves" + (f" ({changes})" if changes else "")
                       if other["serves"] else f"{other['model']} cannot: "
                       + _without_name(other["reason"], other["model"]))
    reasons += list(chosen.warnings)
    return (ADJUSTED if chosen.adjustments else OK), reasons, candidates


def _without_name(reason: str, model: str) -> str:
    """``"sora:sora-2 is retired..."`` -> ``"is retired..."`` (the name is already said)."""
    return reason.removeprefix(f"{model}: ").removeprefix(f"{model} ")


def candidate_row(check: Any) -> dict[str, Any]:
    """One candidate's pre-flight check as JSON-ready data (``check --json``, ``migrate``)."""
    return {"model": f"{check.provider}:{check.model}", "serves": check.ok,
            "adjustments": [{"field": a.field, "asked": a.asked, "given": a.given,
                             "reason": a.reason} for a in check.adjustments],
            "estimated_cost_usd": check.estimated_cost_usd, "reason": check.reason,
            "warnings": list(check.warnings)}


def _target(model: Any, core: ClientCore) -> str | None:
    """What the compat layer runs for ``model``: a route/alias or ``provider:model``."""
    if not isinstance(model, str):
        return None
    if core.is_route(model):
        return model
    provider, sep, model_id = model.partition(":")
    if sep:
        from ..errors import ConfigError

        try:
            return model if model_id in core.adapter(provider).models else None
        except ConfigError:
            return None
    return None


def _checks(request: Any, target: str, core: ClientCore) -> list[Any]:
    if core.is_route(target):
        return core.check(request, target)
    from ..errors import VidbridgeError
    from ..routing import CandidateCheck

    provider, _, model = target.partition(":")
    try:
        plan = core.plan(request, target)
    except VidbridgeError as exc:
        return [CandidateCheck(provider, model, False, " ".join(str(exc).split()))]
    return [CandidateCheck(provider, model, True, "", plan.adjustments,
                           plan.estimated_cost_usd, plan.warnings, plan)]
