"""Application services: what the CLI and the HTTP intake both call (intake, queries)."""
