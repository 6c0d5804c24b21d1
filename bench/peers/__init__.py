"""Peer apps that `make bench` measures Gatehouse against (not part of Gatehouse)."""
