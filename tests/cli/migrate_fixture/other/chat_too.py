"""The client serves chat as well: the import must not be rewritten."""
from openai import OpenAI

client = OpenAI()
client.chat.completions.create(model="gpt-5", messages=[])
client.videos.create(model="sora-2", prompt="a tree", seconds="4")
