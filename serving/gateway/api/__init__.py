"""The gateway's HTTP surface: routes (`routes/`), their dependencies (`deps.py`) and the
exception handlers that turn every error into `{"error": {"code", "message"}}` (`handlers.py`).
"""
