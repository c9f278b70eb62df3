"""The FastAPI gateway: uploads in, digits out, TF Serving over gRPC behind it.

`main.py` assembles the app from `api/` (routes, dependencies, error handlers) and the
middleware (`middleware.py`: the body's size and time limits, request ids, metrics and the
access line of `access_log.py`); `__main__.py` runs it on uvicorn with the header limits of
`http_server.py`. A request's images are read by `uploads.py` (`multipart.py` streams a
form), go through `inference.py`'s stages (the contract's preprocessing in `pool.py`'s
bounded lanes off the event loop, one Predict through `predictor.py`, postprocessing), and
fail with the exceptions of `errors.py`, gRPC's codes being translated in `upstream.py`
only. `settings.py` reads GATEWAY_*; `instruments.py` holds the Prometheus counters and
histograms; `schemas.py` the response bodies.
"""
