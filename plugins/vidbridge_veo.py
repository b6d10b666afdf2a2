"""veo adapter (being written)."""
