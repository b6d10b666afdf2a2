"""``vidbridge migrate``: find Sora call sites, say what leaving Sora changes for each.

``scan`` reads source with the stdlib ``ast``; ``assess`` screens each site against the
configured routes with the router's pre-flight check (no HTTP); ``report`` renders the
results; ``rewrite`` (libcst, the ``migrate`` extra) swaps the ``openai`` client import for
``vidbridge.compat.openai`` in files that use the client only for videos.
"""
