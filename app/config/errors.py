"""The one error a bad setting raises; start-up prints its one line and exits."""


class ConfigError(Exception):
    """A setting has a value Gatehouse cannot run with; the message names it."""
