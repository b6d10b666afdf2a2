"""Async SDK use, with the client built inside a context manager."""
import openai
from openai import AsyncOpenAI


async def run() -> None:
    async with AsyncOpenAI() as client:
        await client.videos.create(model="sora-2", prompt="a lighthouse", seconds="4")
    other = openai.AsyncOpenAI()
    await other.videos.extend(video={"id": "video_1"}, prompt="longer", seconds="8")
