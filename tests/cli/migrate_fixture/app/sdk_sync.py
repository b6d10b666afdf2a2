"""Sora code written against the official SDK, every call style (sync)."""
from openai import OpenAI

MODEL = "sora-2"
SECONDS = "12"

client = OpenAI()
videos = client.videos


def make(prompt: str) -> None:
    video = client.videos.create(model=MODEL, prompt="a paper boat in the rain", seconds=SECONDS,
                                 size="1280x720")
    done = videos.create_and_poll(model="sora-2", prompt=prompt, seconds="8")
    client.videos.retrieve(video.id)
    videos.poll(done.id)
    client.videos.list(limit=10)
    client.videos.download_content(video.id, variant="thumbnail")
    client.videos.remix(video.id, prompt="at night")
    client.videos.delete(video_id=video.id)
    client.videos.create(model="sora-2-pro", prompt="a kite", seconds="4", size="1024x1792")
