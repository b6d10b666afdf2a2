"""kling adapter (being written)."""
