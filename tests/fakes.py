"""Acme: a made-up provider for engine and routing tests, with a scriptable fake server."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from vidbridge import Credentials, Job, ModelCapabilities, Plan, Price, errors, hookimpl
from vidbridge.models import Lifecycle

BASE = "https://api.acme.example/v1"
STATUS = {"queued": "queued", "rendering": "running", "done": "succeeded", "error": "failed",
          "stopped": "cancelled"}
ERRORS: errors.ErrorTable = {401: errors.AuthenticationError, 429: errors.RateLimitError,
                             "unsafe": errors.ContentPolicyError,
                             "no_model": errors.ModelUnavailableError}
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4


def caps(**changes: Any) -> ModelCapabilities:
    base: dict[str, Any] = dict(
        durations=(4, 8), sizes={"16:9": {"720p": "1280x720"}, "9:16": {"720p": "720x1280"}},
        audio="optional", supports_image=True, supports_seed=True,
        price=Price(per_second={"720p": 0.1}, with_audio={"720p": 0.2}))
    base.update(changes)
    return ModelCapabilities(**base)


class Acme:
    """Sans-IO adapter for the fake Acme wire format below."""

    credential_env = {"api_key": "ACME_API_KEY"}

    def __init__(self, name: str = "acme", models: dict[str, ModelCapabilities] | None = None):
        self.name = name
        self.models = models or {"motion-2": caps(),
                                 "old-1": caps(lifecycle=Lifecycle(retired_on="2026-01-01"))}

    def check_credentials(self, creds: Credentials) -> None:
        if creds.api_key is None:
            raise errors.ConfigError(f"{self.name}: set ACME_API_KEY")

    def backend(self, creds: Credentials) -> str:
        return ""

    def _headers(self, creds: Credentials) -> dict[str, str]:
        return {"Authorization": f"Bearer {creds.bearer()}"}

    def build_submit(self, plan: Plan, creds: Credentials) -> httpx.Request:
        body = {"model": plan.model, "prompt": plan.prompt, "seconds": plan.duration,
                "size": plan.size, "audio": plan.audio}
        return httpx.Request("POST", f"{creds.url(BASE)}/{self.name}/jobs", json=body,
                             headers=self._headers(creds))

    def parse_submit(self, response: httpx.Response, plan: Plan) -> Job:
        return self._job(response)

    def build_poll(self, job: Job, creds: Credentials) -> httpx.Request:
        return httpx.Request("GET", f"{creds.url(BASE)}/{self.name}/jobs/{job.id}",
                             headers=self._headers(creds))

    def parse_job(self, response: httpx.Response, previous: Job) -> Job:
        return self._job(response).model_copy(update={
            "model": previous.model, "credential": previous.credential})

    def _job(self, response: httpx.Response) -> Job:
        self.raise_for_error(response)
        data = response.json()
        return Job(provider=self.name, id=data["id"], status=STATUS[data["status"]],
                   progress=data.get("progress"), output_url=data.get("url"),
                   error_code=data.get("error"), meta={"failure": data.get("failure", "")},
                   poll_after=data.get("poll_after"))

    def build_download(self, job: Job, creds: Credentials,
                       variant: str = "video") -> httpx.Request | None:
        return httpx.Request("GET", job.output_url or "")

    def build_cancel(self, job: Job, creds: Credentials) -> httpx.Request | None:
        return httpx.Request("DELETE", f"{creds.url(BASE)}/{self.name}/jobs/{job.id}",
                             headers=self._headers(creds))

    def is_provider_error(self, response: httpx.Response) -> bool:
        body = errors.response_json(response)  # Acme's errors: {"code"?, "message": ...}
        return isinstance(body, dict) and isinstance(body.get("message"), str)

    def raise_for_error(self, response: httpx.Response) -> None:
        if response.is_success:
            return
        data = errors.response_json(response) or {}
        errors.raise_for_error(response, provider=self.name, table=ERRORS,
                               code=data.get("code"), message=data.get("message"))


class AcmePlugin:
    def __init__(self, *adapters: Acme) -> None:
        self.adapters = list(adapters) or [Acme()]

    @hookimpl
    def video_providers(self) -> list[Acme]:
        return self.adapters


Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeAcme:
    """A scriptable Acme server: queue responses per (provider, step) or let it run jobs.

    ``submits`` counts POSTs per provider, which is how tests prove nothing was paid twice.
    """

    polls_to_finish: int = 2
    submit_script: dict[str, list[Handler | httpx.Response]] = field(default_factory=dict)
    poll_script: dict[str, list[Handler | httpx.Response]] = field(default_factory=dict)
    download_script: list[Handler | httpx.Response] = field(default_factory=list)
    submits: dict[str, int] = field(default_factory=dict)
    polls: dict[str, int] = field(default_factory=dict)
    cancels: list[str] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _jobs: dict[str, int] = field(default_factory=dict)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.url.host == "cdn.acme.example":
            return self._scripted(self.download_script, request) or httpx.Response(
                200, content=MP4, headers={"content-type": "video/mp4"})
        provider = path.split("/")[2]
        if request.method == "POST":
            self.submits[provider] = self.submits.get(provider, 0) + 1
            self.bodies.append(json.loads(request.content))
            scripted = self._scripted(self.submit_script.get(provider, []), request)
            if scripted is not None:
                return scripted
            job_id = f"{provider}-{next(self._ids)}"
            self._jobs[job_id] = 0
            return httpx.Response(200, json={"id": job_id, "status": "queued"})
        job_id = path.rsplit("/", 1)[1]
        if request.method == "DELETE":
            self.cancels.append(job_id)
            return httpx.Response(204)
        self.polls[provider] = self.polls.get(provider, 0) + 1
        scripted = self._scripted(self.poll_script.get(provider, []), request)
        if scripted is not None:
            return scripted
        self._jobs[job_id] = seen = self._jobs.get(job_id, 0) + 1
        if seen >= self.polls_to_finish:
            return httpx.Response(200, json={"id": job_id, "status": "done", "progress": 100,
                                             "url": f"https://cdn.acme.example/{job_id}.mp4"})
        return httpx.Response(200, json={"id": job_id, "status": "rendering",
                                         "progress": 100 * seen / self.polls_to_finish})

    @staticmethod
    def _scripted(script: list[Handler | httpx.Response],
                  request: httpx.Request) -> httpx.Response | None:
        if not script:
            return None
        step = script.pop(0)
        return step(request) if callable(step) else step


@dataclass
class FakeClock:
    """Time that moves only when the code under test sleeps."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)
