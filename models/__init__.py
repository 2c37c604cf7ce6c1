"""The shipped default model (data only)."""
