"""Hostile local input: a corrupted config file only ever raises ``ConfigError``; a broken
request only a pydantic ``ValidationError`` or a ``VidbridgeError`` (property-based)."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import vidbridge
from vidbridge import CapabilityError, ConfigError, ImageInput, VidbridgeError, VideoRequest
from vidbridge.config import load_config
from vidbridge.testing import fuzz_examples, sample_png

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "vidbridge.toml"
SECTIONS = ("providers.veo", "providers.kling", "providers.x", "routes.default", "aliases",
            "gateway", "models.\"veo:veo-3.1-generate-001\"", "")
KEYS = ("plugin", "api_key_env", "api_key", "secret_key_env", "token_env", "options",
        "timeout_s", "required", "usd_per_unit", "base_url", "candidates", "policy",
        "fallback_on", "retries", "deadline_s", "budget_usd", "route", "keys_env",
        "max_body_mb", "ledger", "default_route", "sora-2", "like", "allow_retired")
toml_scalars = (st.booleans() | st.integers(-(2**63), 2**63 - 1)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
toml_values = st.recursive(toml_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
                           max_leaves=6)


def toml_text(tables: dict[str, dict[str, Any]]) -> str:
    """A TOML document (JSON literals are valid TOML for strings, numbers, arrays)."""
    def literal(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {literal(v)}"
                                   for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(literal(item) for item in value) + "]"
        return json.dumps(value)
    lines = []
    for section, values in tables.items():
        if section:
            lines.append(f"[{section}]")
        lines += [f"{json.dumps(key)} = {literal(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


@st.composite
def config_files(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["tables", "tables", "mutated", "bytes", "non_utf8"]))
    if kind == "tables":
        tables = draw(st.dictionaries(st.sampled_from(SECTIONS),
                                      st.dictionaries(st.sampled_from(KEYS), toml_values,
                                                      max_size=4), max_size=4))
        return toml_text(tables).encode()
    example = EXAMPLE.read_bytes()
    if kind == "mutated":
        at = draw(st.integers(0, len(example) - 1))
        return example[:at] + draw(st.binary(max_size=8)) + example[at + 1:]
    if kind == "non_utf8":
        return example + b"\n# caf\xe9 \xff\n"
    return draw(st.binary(max_size=200))


def test_load_config_of_anything_is_a_config_error_or_a_config(
        request: pytest.FixtureRequest) -> None:
    folder = Path(tempfile.mkdtemp(prefix="vidbridge-config-fuzz-"))
    target = folder / "vidbridge.toml"
    environ = {"GEMINI_API_KEY": "k", "KLING_ACCESS_KEY": "a", "KLING_SECRET_KEY": "s" * 40,
               "RUNWAYML_API_SECRET": "r", "OPENAI_API_KEY": "o", "VERTEX_ACCESS_TOKEN": "t"}

    @settings(max_examples=fuzz_examples(request.config), deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(config_files())
    def run(content: bytes) -> None:
        target.write_bytes(content)
        with contextlib.suppress(ConfigError):
            load_config(target, environ=environ)

    run()


@pytest.mark.parametrize("make", ["directory", "non_utf8", "missing"])
def test_unreadable_config_paths_are_config_errors(make: str, tmp_path: Path) -> None:
    path = tmp_path / "vidbridge.toml"
    if make == "directory":
        path.mkdir()
    elif make == "non_utf8":
        path.write_bytes(b'default_route = "caf\xe9"\n')
    with pytest.raises(ConfigError, match=str(path)):
        load_config(path)


PNG = sample_png()
images = st.one_of(
    st.builds(lambda cut: {"data": PNG[:cut], "mime_type": "image/png"},
              st.integers(1, 200)),
    st.builds(lambda junk: {"data": PNG[:33] + junk, "mime_type": "image/png"},
              st.binary(max_size=40)),
    st.fixed_dictionaries({"data": st.binary(max_size=40),
                           "mime_type": st.sampled_from(["image/png", "image/jpeg", "x"])}),
    st.fixed_dictionaries({"url": st.text(max_size=30)}),
    st.just({"data": PNG, "mime_type": "image/png"}),
)
field_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                         st.text(max_size=12), st.sampled_from(["16:9", "720p", "1280x720",
                                                                "99999x1", "4", "²"]))
requests = st.fixed_dictionaries({"prompt": st.text(max_size=30)}, optional={
    "duration": field_values, "resolution": field_values, "aspect_ratio": field_values,
    "size": field_values, "audio": field_values, "seed": field_values,
    "negative_prompt": field_values, "image": images, "last_frame": images,
    "reference_images": st.lists(images, max_size=2),
    "extra": st.dictionaries(st.text(max_size=8), field_values, max_size=2)})


def test_requests_and_plans_raise_only_validation_or_vidbridge_errors(
        request: pytest.FixtureRequest) -> None:
    client = vidbridge.VideoClient(credentials={})
    models = [f"{name}:{model}" for name, provider in sorted(vidbridge.providers().items())
              for model in list(provider.models)[:2]]

    @settings(max_examples=fuzz_examples(request.config), deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(requests, st.sampled_from(models))
    def run(fields: dict[str, Any], model: str) -> None:
        try:
            built = VideoRequest.model_validate(fields)
            client.plan(built, model=model)
        except (ValidationError, VidbridgeError):
            pass

    run()


def test_a_truncated_png_is_a_capability_error_naming_the_image() -> None:
    request = VideoRequest(prompt="p", image=ImageInput(data=PNG[:40], mime_type="image/png"))
    client = vidbridge.VideoClient(credentials={}, allow_retired=True)  # Sora is retired
    with pytest.raises(CapabilityError, match="image bytes cannot be read") as raised:
        client.plan(request, model="sora:sora-2")  # Sora checks the image matches the size
    assert raised.value.field == "image"
