"""Business logic. Services take plain values (never `request`) and own their transaction."""
