"""Raw HTTP to the Videos API: httpx, requests and aiohttp, one with a hard-coded base URL."""
import os

import aiohttp
import httpx
import requests

BASE = "https://api.openai.com/v1"


def with_httpx(video_id: str) -> None:
    httpx.post(f"{BASE}/videos", json={"model": "sora-2", "prompt": "a fox", "seconds": "4"})
    with httpx.Client(base_url=os.environ["OPENAI_BASE_URL"]) as http:
        http.get(f"/videos/{video_id}")


def with_requests(video_id: str) -> None:
    requests.get(f"https://api.openai.com/v1/videos/{video_id}/content",
                 params={"variant": "spritesheet"})


async def with_aiohttp(video_id: str) -> None:
    async with aiohttp.ClientSession() as session:
        await session.delete(f"{os.environ['OPENAI_BASE_URL']}/videos/{video_id}")
