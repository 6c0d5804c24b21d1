"""Gatehouse's fault-injection suite (`make faults`, never part of `make test`): docs/operations.md."""
