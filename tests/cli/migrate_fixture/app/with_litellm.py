"""LiteLLM's video functions."""
import litellm
from litellm import video_content, video_generation


def run() -> None:
    response = video_generation(model="openai/sora-2", prompt="a red kite", seconds="4",
                                size="720x1280")
    litellm.video_status(video_id=response.id)
    video_content(response.id)
