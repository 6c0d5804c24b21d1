"""Liveness and readiness probes (`/healthz`, `/readyz`): no authentication, no setup gate."""
