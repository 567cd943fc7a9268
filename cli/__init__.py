"""The `rongju` command line."""
