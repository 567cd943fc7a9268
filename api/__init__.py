"""rongju's HTTP API (FastAPI): document links for the review form now, the portal's intake later."""
