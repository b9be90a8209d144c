"""The HTTP API (CONTRACT.md §2): FastAPI routes that parse, call one application method, and answer."""
