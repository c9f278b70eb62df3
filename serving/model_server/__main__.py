"""`python -m serving.model_server`: a local stand-in for tensorflow_model_server."""

import asyncio
import logging
import os
import sys


def main(argv: list[str] | None = None) -> int:
    # Quieten TensorFlow's C++ start-up chatter unless the user asked for it.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname).1s %(name)s] %(message)s"
    )
    from serving.model_server.flags import parse_options
    from serving.model_server.server import serve

    options = parse_options(argv)
    return asyncio.run(serve(options))


if __name__ == "__main__":
    sys.exit(main())
