"""Safe rollouts: `python -m serving.rollout` stages, canaries, shadows, promotes and rolls
back model versions on TF Serving's documented APIs (version policy `specific`, version
labels, HandleReloadConfigRequest), and its guard (`watch`) decides from the gateways' live
figures. No TensorFlow: it runs in the gateway's image.

    cli.py           the command line (`__main__.py` calls it); errors are one line, exit 2
    operations.py    init, canary, shadow, promote, rollback: the steps in their safe order
    config.py        the live model config, rendered from code
    model_server.py  HandleReloadConfigRequest and GetModelStatus over gRPC
    gateway.py       the gateways' GET /v1/rollout; figures.py adds several up
    guard.py         the rules (pure); watch.py the loop; audit.py the decision log
    status.py        `status`
"""
