"""Dataset registry data and split lists (data only)."""
