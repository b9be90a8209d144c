"""The domain: the plan aggregate, its events and rules. No I/O, no framework, nothing of the project above it."""
