"""A small program written for the Sora API, for `vidbridge migrate` to read (never run)."""
from openai import OpenAI

MODEL = "sora-2"

client = OpenAI()


def make_trailer(prompt: str) -> bytes:
    video = client.videos.create_and_poll(model=MODEL, prompt=prompt, seconds="12",
                                          size="1280x720")
    client.videos.download_content(video.id, variant="thumbnail").write_to_file("thumb.webp")
    return client.videos.download_content(video.id).read()


def make_vertical(prompt: str) -> None:
    client.videos.create(model="sora-2-pro", prompt=prompt, seconds="8", size="1024x1792")
