"""A model no route serves: migrate must exit 1 for this one."""
from openai import OpenAI

OpenAI().videos.create(model="sora-3", prompt="a comet", seconds="8")
