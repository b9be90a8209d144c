"""isp-ledger: an event-sourced, tamper-evident record of children's Individual Support Plans."""

__version__ = "0.1.0"
