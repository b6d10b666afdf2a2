"""Veo 3 adapter: the Gemini API (API key) and Vertex AI (OAuth), one provider named ``veo``.

Wire format from docs/reference/google-veo.md (google-genai 2.34.0 / 3.6.1). The backend is
``creds.options["backend"]``: ``vertex`` (with ``project`` and ``location``) or ``gemini``.
There is no default: Veo left the Gemini API in 2026, so a credential naming no backend is
refused before any HTTP, with a message naming Vertex and the ``omni`` provider.
Both start a long-running operation with ``predictLongRunning``; the Gemini API
polls it with GET and serves files behind the key, Vertex polls with
``fetchPredictOperation`` and returns a GCS URI (with ``storageUri``) or inline bytes.
Capability data lives in ``vidbridge_veo_models``; the error mapping in ``vidbridge_veo_errors``.
"""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import quote

import httpx

import vidbridge_veo_errors as wire_errors
import vidbridge_veo_wire as shapes
from vidbridge import (
    CapabilityError,
    ConfigError,
    Credentials,
    Job,
    Plan,
    errors,
    hookimpl,
    wire,
)
from vidbridge.models import ImageInput
from vidbridge_veo_models import (
    BACKENDS,
    EXTRA_PARAMETERS,
    EXTRA_TOP_LEVEL,
    GEMINI,
    MODELS,
    NO_BACKEND,
    PERSON_GENERATION,
    SEED_BACKENDS,
    SERVED_BY,
    VERTEX,
)

GEMINI_BASE = "https://generativelanguage.googleapis.com"
GEMINI_VERSION = "v1beta"  # the only version the Veo docs use
VERTEX_VERSION = "v1"  # REST docs; google-genai uses v1beta1, and both serve Veo
MULTI_REGIONS = frozenset({"us", "eu"})  # google-genai 3.6.1 _MULTI_REGIONAL_LOCATIONS
GCS_MEDIA = "https://storage.googleapis.com/storage/v1/b/{bucket}/o/{object}?alt=media"
_FILE_ID = re.compile(r"/files/([a-z0-9]+)")


class Veo:
    """Sans-IO adapter for Veo on the Gemini API and on Vertex AI."""

    name = "veo"
    models = MODELS
    credential_env = {"api_key": "GEMINI_API_KEY"}
    # Google's samples poll every 10 s (Vertex 15 s); renders take 11 s to 6 min.
    poll_interval = 10.0

    # -- credentials and backend -----------------------------------------------------------------
    def backend(self, creds: Credentials) -> str:
        return creds.options.get("backend", "")

    def check_credentials(self, creds: Credentials) -> None:
        backend = self.backend(creds)
        if not backend:
            raise ConfigError(f"{NO_BACKEND} (credential {creds.name!r})")
        if backend not in BACKENDS:
            raise ConfigError(f"veo: backend must be one of {', '.join(BACKENDS)}, not "
                              f"{backend!r}")
        if backend == VERTEX:
            missing = [key for key in ("project", "location") if not creds.options.get(key)]
            if missing:
                raise ConfigError(f"veo: the vertex backend needs {' and '.join(missing)} in "
                                  f"the options of credential {creds.name!r}")
            wire.check_region(creds.options, self.name, creds.name)
        if creds.api_key is None and creds.token is None:
            what = ("an OAuth token (token or api_key)" if backend == VERTEX else
                    f"API key for gemini (set ${self.credential_env['api_key']} or api_key in "
                    "the config)")
            raise ConfigError(f"veo: credential {creds.name!r} has no {what}"
                              + (" for vertex" if backend == VERTEX else ""))

    def _base(self, creds: Credentials, location: str) -> str:
        if location == "global":
            default = "https://aiplatform.googleapis.com"
        elif location in MULTI_REGIONS:
            default = f"https://aiplatform.{location}.rep.googleapis.com"
        else:
            default = f"https://{wire.host_label(location)}-aiplatform.googleapis.com"
        return f"{creds.url(default)}/{VERTEX_VERSION}"

    def _headers(self, creds: Credentials, backend: str) -> dict[str, str]:
        if backend == VERTEX:
            return {"Authorization": f"Bearer {creds.bearer()}"}
        return {"x-goog-api-key": creds.bearer()}

    # -- submit ----------------------------------------------------------------------------------
    def build_submit(self, plan: Plan, creds: Credentials) -> httpx.Request:
        backend = self.backend(creds)
        if not backend:
            raise ConfigError(NO_BACKEND)
        # A config row (``like = ...``) sends its own id but is served like its base row.
        if backend not in SERVED_BY.get(plan.table_model, ()):
            served = " and ".join(SERVED_BY.get(plan.table_model, ())) or "no backend"
            raise errors.ModelUnavailableError(
                f"veo: {plan.model} is served by {served}, not by the configured {backend} "
                "backend", provider=self.name)
        if plan.seed is not None and backend not in SEED_BACKENDS:
            raise CapabilityError(f"veo:{plan.model}: the {backend} backend takes no seed",
                                  field="seed", allowed=[], model=f"veo:{plan.model}")
        body: dict[str, Any] = {"instances": [self._instance(plan)],
                                "parameters": self._parameters(plan, backend)}
        for key, value in plan.extra.items():
            if key in EXTRA_TOP_LEVEL[backend]:
                body[key] = value
        if backend == VERTEX:
            project, location = creds.options["project"], creds.options["location"]
            url = (f"{self._base(creds, location)}/projects/{project}/locations/{location}/"
                   f"publishers/google/models/{plan.model}:predictLongRunning")
        else:
            url = (f"{creds.url(GEMINI_BASE)}/{GEMINI_VERSION}/models/{plan.model}"
                   ":predictLongRunning")
        return httpx.Request("POST", wire.endpoint(url), json=body,
                             headers=self._headers(creds, backend))

    def _instance(self, plan: Plan) -> dict[str, Any]:
        instance: dict[str, Any] = {"prompt": plan.prompt}
        if plan.extend is not None:
            instance["video"] = _video(plan)
        if plan.image is not None:
            instance["image"] = _image(plan.image, "image")
        if plan.last_frame is not None:
            instance["lastFrame"] = _image(plan.last_frame, "last_frame")
        if plan.reference_images:
            # google-genai sends the enum value "ASSET" on both backends.
            instance["referenceImages"] = [
                {"image": _image(image, "reference_images"), "referenceType": "ASSET"}
                for image in plan.reference_images]
        return instance

    def _parameters(self, plan: Plan, backend: str) -> dict[str, Any]:
        parameters: dict[str, Any] = {
            "aspectRatio": plan.aspect_ratio, "resolution": plan.resolution,
            "durationSeconds": plan.duration, "sampleCount": 1}
        if plan.negative_prompt:
            parameters["negativePrompt"] = plan.negative_prompt
        if plan.seed is not None:
            parameters["seed"] = plan.seed
        if backend == VERTEX:
            # Audio is a switch on Vertex (priced apart); earlier docs marked it required for
            # Veo 3, so it is always sent, false as well as true.
            parameters["generateAudio"] = plan.audio
        errors.refuse_unknown_extra(plan.extra,
                                    EXTRA_PARAMETERS[backend] | EXTRA_TOP_LEVEL[backend],
                                    provider=self.name, model=f"veo:{plan.model} ({backend})")
        for key, value in plan.extra.items():
            if key in EXTRA_PARAMETERS[backend]:
                parameters[key] = value
        person = parameters.get("personGeneration")
        if person is not None and person not in PERSON_GENERATION:
            raise errors.InvalidRequestError(
                f"veo: personGeneration must be one of {', '.join(PERSON_GENERATION)}, not "
                f"{person!r}", provider=self.name, param="personGeneration")
        if person is None and backend == GEMINI:
            # Gemini API rules for Veo 3.x: text-to-video takes allow_all only; image,
            # interpolation and reference images take allow_adult only. Vertex is left to
            # its own default (allow_adult [UNVERIFIED]; allow_all may need approval).
            with_image = plan.image is not None or bool(plan.reference_images)
            parameters["personGeneration"] = "allow_adult" if with_image else "allow_all"
        return parameters

    def parse_submit(self, response: httpx.Response, plan: Plan | None = None) -> Job:
        wire_errors.raise_for(response, during="submit")
        return self._job(response, submit=True)

    # -- poll ------------------------------------------------------------------------------------
    def build_poll(self, job: Job, creds: Credentials) -> httpx.Request:
        backend = job.backend or self.backend(creds)  # the create call's backend, always
        if backend == VERTEX:
            model_path = job.id.partition("/operations/")[0]
            location = _segment(job.id, "locations") or creds.options["location"]
            url = f"{self._base(creds, location)}/{wire.resource_path(model_path)}"
            return httpx.Request("POST", url + ":fetchPredictOperation",
                                 json={"operationName": job.id},
                                 headers=self._headers(creds, backend))
        url = f"{creds.url(GEMINI_BASE)}/{GEMINI_VERSION}/{wire.resource_path(job.id)}"
        return httpx.Request("GET", url, headers=self._headers(creds, backend))

    def parse_job(self, response: httpx.Response, previous: Job | None = None) -> Job:
        wire_errors.raise_for(response, during="job")
        job = self._job(response)
        if previous is not None:
            job = job.model_copy(update={"model": previous.model or job.model,
                                         "backend": previous.backend,
                                         "credential": previous.credential})
        return job

    def _job(self, response: httpx.Response, submit: bool = False) -> Job:
        operation = wire.parse_as(response, shapes.Operation, provider=self.name,
                                  expected="an operation", submit=submit)
        name = operation.name
        model = _segment(name, "models") or ""
        if not operation.done:  # missing means false; Veo exposes no progress
            return Job(provider=self.name, model=model, id=name, status="running")
        if operation.error is not None:
            return wire_errors.failed_job(self.name, model, name, operation.error)
        result = operation.response or shapes.Result()
        samples = wire_errors.outputs(result)
        if not samples:
            return wire_errors.filtered(self.name, model, name, result)
        video = samples[0]
        inline = video.bytesBase64Encoded or video.encodedVideo
        try:
            data = base64.b64decode(inline, validate=True) if inline else None
        except ValueError:  # binascii.Error: not base64
            raise wire.malformed(response, provider=self.name, expected="an operation",
                                 problem="the inline video is not base64") from None
        return Job(provider=self.name, model=model, id=name, status="succeeded", progress=100,
                   output_url=video.uri or video.gcsUri, output_inline=data)

    # -- download --------------------------------------------------------------------------------
    def build_download(self, job: Job, creds: Credentials,
                       variant: str = "video") -> httpx.Request | None:
        if variant != "video":
            raise ValueError(f"veo has only the 'video' variant, not {variant!r}")
        if job.output_url is None:
            return None  # inline bytes (Job.output_inline), or nothing to fetch
        backend = job.backend or self.backend(creds)
        if job.output_url.startswith("gs://"):
            bucket, _, path = job.output_url.removeprefix("gs://").partition("/")
            url = GCS_MEDIA.format(bucket=bucket, object=quote(path, safe=""))
            return httpx.Request("GET", url, headers=self._headers(creds, VERTEX))
        # Like google-genai, fetch the file id from our own base URL: the key never goes to
        # a host named in a response.
        found = _FILE_ID.search(job.output_url)
        if backend == GEMINI and found:
            url = f"{creds.url(GEMINI_BASE)}/{GEMINI_VERSION}/files/{found[1]}:download"
            return httpx.Request("GET", url, params={"alt": "media"},
                                 headers=self._headers(creds, GEMINI))
        raise errors.ProviderError(f"veo: cannot download {job.output_url[:80]!r} with the "
                                   f"{backend} backend", provider=self.name)

    def build_cancel(self, job: Job, creds: Credentials) -> httpx.Request | None:
        return None  # no cancel or delete is documented for Veo operations

    def is_provider_error(self, response: httpx.Response) -> bool:
        return wire_errors.is_google_error(response)

    def raise_for_error(self, response: httpx.Response) -> None:
        wire_errors.raise_for(response, during="job")


def _video(plan: Plan) -> dict[str, str]:
    """``instances[0].video`` for an extension: a previous Veo output by its ``gs://`` URI
    (google-veo.md §3.4). Vertex returns inline bytes unless ``storageUri`` is set, and our
    jobs keep no bytes to re-send, so an extension needs a job whose output went to GCS."""
    source = plan.extend
    assert source is not None
    if plan.resolution != "720p":
        raise CapabilityError(f"veo:{plan.model}: an extension is made at 720p only",
                              field="resolution", allowed=["720p"], model=f"veo:{plan.model}")
    uri = source.url or ""
    if not uri.startswith("gs://"):
        raise CapabilityError(f"veo:{plan.model}: extending needs the previous video's gs:// "
                              "URI (set extra.parameters storageUri on the first job)",
                              field="extend", allowed=["a Veo job whose output is gs://..."],
                              model=f"veo:{plan.model}")
    return {"gcsUri": uri, "mimeType": "video/mp4"}


def _image(image: ImageInput, field: str) -> dict[str, str]:
    if image.data is None:
        # Gemini takes bytes only; Vertex also takes gs:// URIs, which ImageInput cannot hold.
        raise CapabilityError("veo takes input images as bytes, not URLs", field=field,
                              allowed=["image bytes"])
    return {"bytesBase64Encoded": image.base64(), "mimeType": str(image.mime_type)}


def _segment(name: str, key: str) -> str | None:
    """The value after ``key/`` in a resource name (``.../models/veo-3.1/...`` -> veo-3.1)."""
    parts = name.split("/")
    return parts[parts.index(key) + 1] if key in parts[:-1] else None


@hookimpl
def video_providers() -> list[Veo]:
    return [Veo()]
