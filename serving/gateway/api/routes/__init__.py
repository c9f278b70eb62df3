"""One module per group of routes: `predict` (POST /predict), `health` (/healthz, /readyz),
`models` (/v1/models), `metrics` (/metrics) and `web` (the drawing page at /).
"""
