"""`python -m serving.model_server`: a local stand-in for tensorflow_model_server."""

import asyncio
import logging
import os
import sys
from collections.abc import Callable


def main(argv: list[str] | None = None) -> int:
    # TensorFlow's C++ start-up chatter is filtered by flags.parse_options (training.quiet);
    # TF_CPP_MIN_LOG_LEVEL=0 shows it all.
    # TensorFlow's plain kernels, as in the tensorflow/serving image (its oneDNN build is a
    # separate image): the oneDNN convolution aborts the process on an input of the wrong
    # rank where the plain one answers INVALID_ARGUMENT, and shapes are the graph's to judge.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname).1s %(name)s] %(message)s"
    )
    from serving.model_server.flags import parse_options

    options = parse_options(argv)  # --help and usage errors answer before TensorFlow loads
    from serving.model_server.server import serve

    # uvloop's callbacks, futures and timers cost a fraction of asyncio's; grpc.aio and
    # uvicorn both run on it.
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(serve(options))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # not built for this platform: asyncio's own loop
        return None
    return uvloop.new_event_loop


if __name__ == "__main__":
    sys.exit(main())
