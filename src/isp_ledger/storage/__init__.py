"""Storage: configures eventsourcing for SQLite or PostgreSQL, the chained event format, and small tables."""
