"""boilerplate."""
