"""sora adapter (being written)."""
