"""Bad input fails before any HTTP, with a message naming the field and what is allowed."""

from __future__ import annotations

import io

import pytest
from pydantic import ValidationError

from vidbridge import ImageInput, Job, VideoRequest


def png(width: int = 64, height: int = 36) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def error_text(**fields: object) -> str:
    with pytest.raises(ValidationError) as caught:
        VideoRequest(**fields)  # type: ignore[arg-type]
    return str(caught.value)


@pytest.mark.parametrize(("fields", "names", "says"), [
    ({"prompt": "   "}, "prompt", "must not be empty"),
    ({"prompt": "x", "duration": 0}, "duration", "greater than 0"),
    ({"prompt": "x", "duration": -3}, "duration", "greater than 0"),
    ({"prompt": "x", "duration": "long"}, "duration", "number of seconds"),
    ({"prompt": "x", "aspect_ratio": "5:1"}, "aspect_ratio", "16:9, 9:16"),
    ({"prompt": "x", "size": "1280*720"}, "size", "WIDTHxHEIGHT"),
    ({"prompt": "x", "size": "1280x720", "resolution": "1080p"}, "resolution", "720p"),
    ({"prompt": "x", "size": "1280x720", "aspect_ratio": "9:16"}, "aspect_ratio", "conflicts"),
    ({"prompt": "x", "resolution": "huge"}, "resolution", "pattern"),
    ({"prompt": "x", "colour": "red"}, "colour", "Extra inputs are not permitted"),
    ({"prompt": "x", "seed": -1}, "seed", "greater than or equal to 0"),
])
def test_bad_request_fields_are_named(fields: dict[str, object], names: str, says: str) -> None:
    text = error_text(**fields)
    assert names in text and says in text


def test_duration_accepts_numeric_strings() -> None:
    assert VideoRequest(prompt="x", duration="8").duration == 8


def test_image_mime_must_be_known_and_match_the_bytes() -> None:
    with pytest.raises(ValidationError, match="image/png, image/jpeg"):
        ImageInput(data=png(), mime_type="image/tiff")
    with pytest.raises(ValidationError, match="says image/jpeg but the bytes are image/png"):
        ImageInput(data=png(), mime_type="image/jpeg")
    with pytest.raises(ValidationError, match="not a known image type"):
        ImageInput(data=b"plain text", mime_type="image/png")
    image = ImageInput(data=png(64, 36), mime_type="image/png")
    assert image.size == (64, 36)
    assert image.data_uri().startswith("data:image/png;base64,iVBOR")


def test_image_url_must_be_http() -> None:
    with pytest.raises(ValidationError, match="http\\(s\\) URL"):
        ImageInput(url="ftp://example.com/a.png")
    with pytest.raises(ValidationError, match="exactly one"):
        ImageInput()
    assert ImageInput(url="https://example.com/a.png").size is None


def test_last_frame_needs_a_first_frame() -> None:
    url = ImageInput(url="https://example.com/a.png")
    assert "last_frame needs image" in error_text(prompt="x", last_frame=url)


def test_image_from_path_reads_the_type_from_the_bytes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "frame.jpg"  # the name lies; the bytes decide
    path.write_bytes(png())
    assert ImageInput.from_path(path).mime_type == "image/png"


def test_models_are_frozen_and_strict() -> None:
    job = Job(provider="acme", id="1", status="queued")
    with pytest.raises(ValidationError):
        job.status = "running"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="status"):
        Job(provider="acme", id="1", status="rendering")  # type: ignore[arg-type]


def test_job_dump_never_holds_inline_bytes() -> None:
    job = Job(provider="veo", id="op", status="succeeded", output_inline=b"\x00" * 10)
    assert "output_inline" not in job.model_dump() and "output_inline" not in repr(job)


def test_capability_rows_carry_their_source_and_check_date() -> None:
    from datetime import date

    from vidbridge import ModelCapabilities

    row = ModelCapabilities(durations=(8,), sizes={"16:9": {"720p": "1280x720"}},
                            source="google-genai 1.2.3 types.py", verified_on=date(2026, 9, 1))
    assert row.verified_days_ago(date(2026, 12, 2)) == 92
    unsourced = ModelCapabilities(durations=(8,), sizes={"16:9": {"720p": "1280x720"}})
    assert unsourced.source == "" and unsourced.verified_days_ago() is None
    with pytest.raises(ValidationError, match="verified_on"):
        ModelCapabilities(durations=(8,), sizes={"16:9": {"720p": "1280x720"}},
                          verified_on="last tuesday")


def test_a_file_that_is_not_an_image_is_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from vidbridge import CapabilityError

    path = tmp_path / "notes.png"  # the name says PNG; the bytes decide
    path.write_text("# not an image\n")
    with pytest.raises(CapabilityError, match=f"{path} is not an image: its first bytes") as bad:
        ImageInput.from_path(path)
    assert bad.value.field == "image"
