"""Built-in scenarios, shipped as package data (one YAML file each)."""
