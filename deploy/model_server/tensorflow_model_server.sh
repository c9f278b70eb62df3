#!/bin/sh
# tensorflow_model_server's command line, served by the local model server: the image of
# serving/model_server/Dockerfile runs with the same flags as the tensorflow/serving image.
# It binds every interface, as TF Serving does (the local server's own default is 127.0.0.1).
exec python -m serving.model_server --host=0.0.0.0 "$@"
