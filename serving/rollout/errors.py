"""The rollout commands' one error: a clear one-line message, exit 2."""


class RolloutError(Exception):
    """Bad input or a refusal the operator must act on (the message says which)."""
