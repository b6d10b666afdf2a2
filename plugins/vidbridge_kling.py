"""Kling adapter: the ``model_name`` endpoints (``/v1/videos/text2video`` and
``/v1/videos/image2video``) for Kling 1.x, 2.x and ``kling-v3``; ``/v1/videos/omni-video``
for ``kling-v3-omni`` and ``kling-video-o1``; ``/v1/videos/video-extend`` to continue a clip.

Wire format from shared/reference/kling.md and docs/reference/kling.md; the model table (ids
like ``kling-v2-6:pro``, which send ``model_name`` and ``mode``) lives in
``vidbridge_kling_models``, the create bodies in ``vidbridge_kling_bodies``.

Image-to-video has no aspect-ratio field: Kling frames the output like the input image, so a
plan's ``aspect_ratio``/``size`` for an image request is what normalisation chose from the
request, never sent, and the delivered frame follows the image (the price does not depend on
it: Kling bills per clip by mode and duration).
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

import vidbridge_kling_wire as shapes
from vidbridge import Credentials, Job, Plan, errors, hookimpl, wire
from vidbridge.models import JobStatus
from vidbridge_kling_bodies import FAMILIES, body_for, family_of
from vidbridge_kling_models import MODELS, UNIT_USD

REGIONS = {"global": "https://api-singapore.klingai.com",
           "china": "https://api-beijing.klingai.com"}
AUTH_MODES = ("jwt", "api_key")
TOKEN_TTL_S = 1800  # every official sample signs for 30 min; longer is unverified
TOKEN_SKEW_S = 5  # nbf in the past tolerates clock skew
TOKEN_RENEW_S = 300  # re-sign when less than 5 min remain
POLL_INTERVAL_S = 5.0  # Kling's guidance: poll every 5-10 s

STATUS: dict[str, JobStatus] = {"submitted": "queued", "processing": "running",
                                "succeed": "succeeded", "failed": "failed"}
# task_status_msg is free text; these fragments mark a moderation failure. The real wordings
# are [UNVERIFIED]: the reference shows only "Failure to pass the risk control system".
POLICY_HINTS = ("risk control", "sensitive", "moderation", "content safety", "policy",
                "violat", "inappropriate")
ERRORS: errors.ErrorTable = {
    # auth; 1304 (IP allow-list) is an access refusal too, not something a retry fixes
    1000: errors.AuthenticationError, 1001: errors.AuthenticationError,
    1002: errors.AuthenticationError, 1003: errors.AuthenticationError,
    1004: errors.AuthenticationError, 1103: errors.AuthenticationError,
    1304: errors.AuthenticationError,
    # 1100 "account abnormal" means the account itself is unusable (configuration, not
    # balance): the operator must look at it, as with a refused key.
    1100: errors.AuthenticationError,
    1101: errors.InsufficientCreditsError, 1102: errors.InsufficientCreditsError,
    1200: errors.InvalidRequestError, 1201: errors.InvalidRequestError,
    # 1202 is "invalid request method" (a request error); 1203: no such resource/model
    1202: errors.InvalidRequestError, 1203: errors.ModelUnavailableError,
    1300: errors.ContentPolicyError, 1301: errors.ContentPolicyError,
    1302: errors.RateLimitError, 1303: errors.RateLimitError,
    5000: errors.ProviderUnavailableError, 5001: errors.ProviderUnavailableError,
    5002: errors.ProviderUnavailableError,
}
AUTH_CODES = frozenset({1000, 1001, 1002, 1003, 1004})
NOT_FOUND_CODES = frozenset({1203})


__all__ = ["MODELS", "Kling", "family_of", "video_providers"]


@dataclass(frozen=True)
class _Token:
    value: str
    expires: float
    secret_digest: str


class Kling:
    """Sans-IO adapter for Kling's task API; holds only a cache of signed tokens."""

    name = "kling"
    models = MODELS
    credential_env = {"api_key": "KLING_ACCESS_KEY", "secret_key": "KLING_SECRET_KEY"}
    poll_interval = POLL_INTERVAL_S

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock  # wall-clock seconds: JWT exp/nbf are absolute times
        self._tokens: dict[str, _Token] = {}

    # -- credentials -------------------------------------------------------------------------
    def check_credentials(self, creds: Credentials) -> None:
        region = creds.options.get("region", "global")
        if region not in REGIONS:
            raise errors.ConfigError(f"kling option region must be one of "
                                     f"{', '.join(REGIONS)}, not {region!r}")
        auth = creds.options.get("auth", "jwt")
        if auth not in AUTH_MODES:
            raise errors.ConfigError(f"kling option auth must be one of "
                                     f"{', '.join(AUTH_MODES)}, not {auth!r}")
        if auth == "api_key":
            if creds.api_key is None and creds.token is None:
                raise errors.ConfigError(f"kling credential {creds.name!r} uses auth=api_key "
                                         "but has no api_key")
            return
        missing = [f"{label} ({field}, {self.credential_env[field]})"
                   for field, label in (("api_key", "access key"), ("secret_key", "secret key"))
                   if getattr(creds, field) is None]
        if missing:
            raise errors.ConfigError(f"kling credential {creds.name!r} is missing the "
                                     f"{' and the '.join(missing)}; Kling signs each request "
                                     "with both")

    def backend(self, creds: Credentials) -> str:
        return creds.options.get("region", "global")

    def base_url(self, creds: Credentials) -> str:
        return creds.url(REGIONS[creds.options.get("region", "global")])

    def token(self, creds: Credentials) -> str:
        """The bearer token: the API key in ``auth=api_key`` mode, else a cached HS256 JWT."""
        if creds.options.get("auth") == "api_key":
            # Single API key mode (reference §2.2) is [UNVERIFIED]: used only when asked for.
            return creds.bearer()
        if creds.api_key is None or creds.secret_key is None:
            self.check_credentials(creds)
        assert creds.api_key is not None and creds.secret_key is not None
        access, secret = creds.api_key.get_secret_value(), creds.secret_key.get_secret_value()
        digest = hashlib.sha256(secret.encode()).hexdigest()
        now = self.clock()
        cached = self._tokens.get(access)
        if (cached is not None and cached.secret_digest == digest
                and cached.expires - now > TOKEN_RENEW_S):
            return cached.value
        import jwt  # PyJWT, loaded only by Kling users

        issued = int(now)
        claims = {"iss": access, "exp": issued + TOKEN_TTL_S, "nbf": issued - TOKEN_SKEW_S}
        value = jwt.encode(claims, secret, algorithm="HS256", headers={"typ": "JWT"})
        self._tokens[access] = _Token(value, issued + TOKEN_TTL_S, digest)
        return value

    def headers(self, creds: Credentials) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(creds)}"}

    # -- submit ------------------------------------------------------------------------------
    def body(self, plan: Plan) -> dict[str, Any]:
        """The create body without ``external_task_id``: a pure function of the plan."""
        return body_for(plan, self.name)

    # A lookup asks by our own external_task_id: what it finds is provably this submit's.
    lookup_by_own_id = True

    def push_worth_polling(self, body: bytes) -> bool:
        """Kling calls back on every status change (reference §3.6): a "submitted" or
        "processing" one is not worth a poll now. The body only filters wakes, never sets a
        state: a forged one can at most cause one poll, or skip one the schedule still makes."""
        try:
            data: Any = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return True
        if isinstance(data, dict) and isinstance(data.get("data"), dict):
            data = data["data"]  # the {code, message, data} wrapper one summary shows
        status = data.get("task_status") if isinstance(data, dict) else None
        return status not in ("submitted", "processing")

    def lookup_id(self, plan: Plan) -> str:
        """What ``build_lookup`` needs later without the plan's images: family/external id."""
        return f"{family_of(plan)}/{self.external_task_id(plan)}"

    def external_task_id(self, plan: Plan) -> str:
        """Our id for the task: one request's plan (and nonce) always gives the same id, so a
        submit whose answer was lost can be found by it instead of being paid for twice."""
        return external_id(self.body(plan), plan)

    def build_submit(self, plan: Plan, creds: Credentials) -> httpx.Request:
        body = self.body(plan)
        body["external_task_id"] = external_id(body, plan)
        # The gateway's per-job push URL, added after the id so the id (and a lookup by it)
        # never depends on the gateway's address; a caller's own extra.callback_url wins.
        if plan.callback_url is not None and "callback_url" not in body:
            body["callback_url"] = plan.callback_url
        return httpx.Request("POST", wire.endpoint(f"{self.base_url(creds)}/v1/videos/"
                                                   f"{family_of(plan)}"),
                             json=body, headers=self.headers(creds))

    def parse_submit(self, response: httpx.Response, plan: Plan) -> Job:
        return self.job(response, self.task_or_raise(response, submit=True), None,
                        family_of(plan)).model_copy(update={"model": plan.model})

    def build_lookup(self, plan_or_external_id: Plan | str, creds: Credentials, *,
                     family: str | None = None) -> httpx.Request:
        """Query a task by our ``external_task_id`` (after a submit whose answer never came).

        A plan gives both the id and the endpoint family; a bare id needs ``family``
        (one of ``FAMILIES``), since each family queries its own tasks.
        """
        if isinstance(plan_or_external_id, Plan):
            external, kind = self.external_task_id(plan_or_external_id), family_of(
                plan_or_external_id)
        else:
            if family is None and "/" in plan_or_external_id:  # a lookup_id
                family, plan_or_external_id = plan_or_external_id.split("/", 1)
            if family not in FAMILIES:
                raise ValueError(f"a bare external_task_id needs family= one of "
                                 f"{', '.join(FAMILIES)}")
            external, kind = plan_or_external_id, family
        return httpx.Request("GET", f"{self.base_url(creds)}/v1/videos/{kind}/{external}",
                             headers=self.headers(creds))

    def parse_lookup(self, response: httpx.Response, plan: Plan) -> Job | None:
        """The task a lookup found, or None when Kling has no task with that id."""
        envelope = wire.read(shapes.Envelope, errors.response_json(response))
        if response.status_code == 404 or (envelope and envelope.code in NOT_FOUND_CODES):
            return None
        # The family is the one asked (a stored plan has no images to tell it by).
        try:
            asked = response.request.url.path.rstrip("/").split("/")[-2]
        except RuntimeError:  # a response built without a request
            asked = family_of(plan)
        kind = asked if asked in FAMILIES else family_of(plan)
        return self.job(response, self.task_or_raise(response), None, kind).model_copy(
            update={"model": plan.model})

    def adopted_job(self, job: Job, *, lookup_id: str | None, plan: Plan | None,
                    family: str | None = None) -> Job:
        """A job a person names by id (``jobs reconcile --adopt``), on the endpoint family its
        submit used: the intent's lookup id records it (``family/external_task_id``); else the
        stored plan tells omni-video and video-extend (not image2video from text2video: its
        images are not stored); else ``family`` must say. Raises before any HTTP."""
        recorded = lookup_id.split("/", 1)[0] if lookup_id and "/" in lookup_id else None
        if recorded is None and plan is not None and family_of(plan) in ("omni-video",
                                                                          "video-extend"):
            recorded = family_of(plan)
        allowed = ", ".join(FAMILIES)
        if family is not None and family not in FAMILIES:
            raise errors.ConfigError(f"family {family!r} is not a Kling endpoint family; "
                                     f"allowed: {allowed}")
        if family is not None and recorded is not None and family != recorded:
            raise errors.ConfigError(f"kling job {job.id}: its submit went to {recorded}, not "
                                     f"{family} (the ledger row records it; leave it out)")
        chosen = recorded or family
        if chosen is None:
            raise errors.ConfigError(f"kling job {job.id}: the ledger row does not record "
                                     "which endpoint family made it; name it with --family "
                                     f"(one of {allowed})")
        return job.model_copy(update={"meta": {**job.meta, "family": chosen}})

    # -- poll --------------------------------------------------------------------------------
    def build_poll(self, job: Job, creds: Credentials) -> httpx.Request:
        # Tasks are queried on the endpoint family that created them.
        return httpx.Request("GET", f"{self.base_url(creds)}/v1/videos/{_family(job)}/"
                             f"{wire.segment(job.id)}", headers=self.headers(creds))

    def parse_job(self, response: httpx.Response, previous: Job) -> Job:
        return self.job(response, self.task_or_raise(response), previous, _family(previous))

    def job(self, response: httpx.Response, task: shapes.Task, previous: Job | None,
            kind: str) -> Job:
        """A Job from a task object (create, query and lookup answers share its shape)."""
        if task.task_status not in STATUS:
            raise wire.unknown_status(response, task.task_status, STATUS, provider=self.name)
        status = STATUS[task.task_status]
        meta = {**(previous.meta if previous else {}), "family": kind}
        if task.task_info and task.task_info.external_task_id:
            meta["external_task_id"] = task.task_info.external_task_id
        fields: dict[str, Any] = {
            "provider": self.name,
            "id": task.task_id or (previous.id if previous else ""),
            "status": status, "created_at": wire.timestamp(task.created_at, scale=1000),
            "updated_at": wire.timestamp(task.updated_at, scale=1000),
            "progress": 100.0 if status == "succeeded" else None,
        }
        if not fields["id"]:
            raise wire.malformed(response, provider=self.name, expected="a task object",
                                 problem="no task_id")
        if (units := task.final_unit_deduction) is not None:
            fields["reported_cost_usd"] = round(units * UNIT_USD, 6)
            meta["units"] = f"{units:g}"
        if status == "succeeded":
            videos = task.task_result.videos if task.task_result else []
            if not videos or not videos[0].url:
                raise errors.ProviderUnavailableError(
                    f"kling task {fields['id']} succeeded without a video URL",
                    provider=self.name, status=response.status_code)
            fields["output_url"] = videos[0].url
            if videos[0].id:  # video-extend takes this id
                meta["video_id"] = videos[0].id
        if status == "failed":
            reason = task.task_status_msg or ""
            fields.update(error_message=reason or "the task failed")
            if any(hint in reason.lower() for hint in POLICY_HINTS):
                meta["failure"] = "content_policy"
        fields["meta"] = meta
        if previous is None:
            return Job(**fields)
        return previous.model_copy(update=fields)

    # -- download, cancel, errors ------------------------------------------------------------
    def build_download(self, job: Job, creds: Credentials,
                       variant: str = "video") -> httpx.Request | None:
        if variant != "video" or job.output_url is None:
            return None
        return httpx.Request("GET", job.output_url)  # a CDN link: the JWT stays with Kling

    def build_cancel(self, job: Job, creds: Credentials) -> httpx.Request | None:
        return None  # these tasks have no cancel or delete endpoint

    def is_provider_error(self, response: httpx.Response) -> bool:
        """Kling's own envelope with an error code (reference: HTTP 500 ``{"code": 5000,
        "message": ..., "request_id": ...}``), not a proxy's page or an empty answer."""
        body = errors.response_json(response)
        code = body.get("code") if isinstance(body, dict) else None
        return (type(code) is int and code != 0
                and isinstance(body.get("message"), str))

    def raise_for_error(self, response: httpx.Response) -> None:
        body = errors.response_json(response)  # None for a streamed download: no envelope
        envelope = wire.read(shapes.Envelope, body) if isinstance(body, dict) else None
        if envelope is None and isinstance(body, dict) and response.is_success:
            raise wire.malformed(response, provider=self.name, expected="a Kling envelope")
        envelope = envelope or shapes.Envelope()
        code = envelope.code
        if response.is_success and code in (0, None):
            return
        if code in AUTH_CODES:
            self._tokens.clear()  # expired or refused token: the next call signs afresh
        errors.raise_for_error(
            response, provider=self.name, table=ERRORS,
            code=code if code not in (0, None) else None,
            message=envelope.message or f"HTTP {response.status_code} from kling",
            request_id=envelope.request_id)

    def task_or_raise(self, response: httpx.Response, submit: bool = False) -> shapes.Task:
        """The envelope's task object; any ``code`` but 0 raises, even with HTTP 200."""
        self.raise_for_error(response)
        envelope = wire.parse_as(response, shapes.Envelope, provider=self.name,
                                 expected="a Kling envelope", submit=submit)
        if not isinstance(envelope.data, dict):
            raise wire.malformed(response, provider=self.name, expected="a task object",
                                 problem="data is not an object", submit=submit)
        return wire.parse_as(response, shapes.Task, provider=self.name,
                             expected="a task object", submit=submit, data=envelope.data)


def external_id(body: dict[str, Any], plan: Plan) -> str:
    """``vb-`` + a hash of the create body, our request key and the caller's nonce
    (``extra.external_task_id``): stable across retries of one request, distinct between
    requests (Kling refuses an id it has seen, and two users may ask for the same video)."""
    nonce = str(plan.extra.get("external_task_id", ""))
    canonical = json.dumps([body, plan.request_key, nonce], sort_keys=True,
                           separators=(",", ":"))
    return "vb-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _family(job: Job) -> str:
    # A job from before families were recorded (adoptions place theirs): text2video.
    return job.meta.get("family") or "text2video"


@functools.cache
def shared_adapter() -> Kling:
    """One adapter per process, so every client reuses its signed tokens."""
    return Kling()


@hookimpl
def video_providers() -> list[Kling]:
    return [shared_adapter()]
