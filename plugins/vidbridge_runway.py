"""runway adapter (being written)."""
