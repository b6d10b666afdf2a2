"""Drop-in surfaces for code written against other SDKs; ``vidbridge.compat.openai`` holds
``OpenAI`` and ``AsyncOpenAI`` look-alikes whose ``videos`` are routed by a vidbridge config."""
