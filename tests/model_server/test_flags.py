"""The command line: every tensorflow_model_server flag is accepted, in process."""

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from serving.model_server.flags import INERT, parse_grpc_args, parse_options
from tests.fixtures.tf_serving_flags import TF_SERVING_FLAGS

# The flags of TF Serving's tensorflow_serving/model_servers/main.cc, with a value each.
FLAG_VALUES = {
    "port": "8600",
    "grpc_socket_path": "/tmp/x.sock",
    "rest_api_port": "8601",
    "rest_api_num_threads": "4",
    "rest_api_timeout_in_ms": "5000",
    "rest_api_enable_cors_support": "true",
    "enable_batching": "false",
    "allow_version_labels_for_unavailable_models": "true",
    "enable_per_model_batching_parameters": "false",
    "model_config_file_poll_wait_seconds": "0",
    "model_name": "m",
    "num_load_threads": "2",
    "num_unload_threads": "2",
    "max_num_load_retries": "1",
    "load_retry_interval_micros": "1000",
    "file_system_poll_wait_seconds": "2",
    "flush_filesystem_caches": "true",
    "tensorflow_session_parallelism": "2",
    "tensorflow_session_config_file": "session.config",
    "tensorflow_intra_op_parallelism": "3",
    "tensorflow_inter_op_parallelism": "0",
    "use_alts_credentials": "false",
    "ssl_config_file": "ssl.config",
    "platform_config_file": "platform.config",
    "per_process_gpu_memory_fraction": "0.5",
    "saved_model_tags": "serve,gpu",
    "grpc_channel_arguments": "grpc.max_connection_age_ms=2000,grpc.lb_policy_name=grpclb",
    "grpc_max_threads": "8",
    "enable_model_warmup": "false",
    "num_request_iterations_for_warmup": "0",
    "remove_unused_fields_from_bundle_metagraph": "true",
    "prefer_tflite_model": "false",
    "num_tflite_pools": "2",
    "num_tflite_interpreters_per_pool": "1",
    "enable_signature_method_name_check": "true",
    "xla_cpu_compilation_enabled": "false",
    "xla_gpu_compilation_enabled": "false",
    "enable_profiler": "true",
    "thread_pool_factory_config_file": "pool.config",
    "mixed_precision": "bfloat16",
    "skip_initialize_tpu": "true",
    "enable_grpc_healthcheck_service": "false",
    "enable_serialization_as_tensor_content": "true",
}
# Tested below, as they need files or end the process.
FLAGS_TESTED_APART = {
    "model_base_path",
    "model_config_file",
    "batching_parameters_file",
    "monitoring_config_file",
    "version",
}


def test_the_flags_tested_are_all_of_tf_servings() -> None:
    assert FLAG_VALUES.keys() | FLAGS_TESTED_APART == TF_SERVING_FLAGS


def test_every_tensorflow_model_server_flag_is_accepted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    argv = [f"--{name}={value}" for name, value in FLAG_VALUES.items()]
    with caplog.at_level(logging.WARNING):
        options = parse_options([*argv, f"--model_base_path={tmp_path}"])
    assert options.grpc_socket_path == "/tmp/x.sock" and options.rest_api_num_threads == 4
    assert options.enable_cors and options.tensor_content and options.allow_unavailable_labels
    assert (options.max_num_load_retries, options.load_retry_interval_seconds) == (1, 0.001)
    assert options.saved_model_tags == ("serve", "gpu") and options.grpc_max_threads == 8
    # An explicit flag wins over --tensorflow_session_parallelism, which fills the others.
    assert (options.intra_op_threads, options.inter_op_threads) == (3, 0)
    assert options.num_request_iterations_for_warmup == 1  # "used only if > 0"
    # Flags without a meaning here are each logged once, with the reason.
    inert = [r.getMessage() for r in caplog.records if "has no effect" in r.getMessage()]
    assert len(inert) == len([name for name in INERT if name in FLAG_VALUES])
    assert any("--prefer_tflite_model has no effect" in line for line in inert)


def test_grpc_channel_arguments_are_ints_where_they_parse_as_ints() -> None:
    assert parse_grpc_args("a=1,b=grpclb,,c=-2") == (("a", 1), ("b", "grpclb"), ("c", -2))


def test_a_bad_config_file_fails_in_tf_servings_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.config"
    config.write_text("improperly formatted file")
    with pytest.raises(SystemExit):
        parse_options([f"--model_config_file={config}"])
    message = "Error parsing text-format tensorflow.serving.ModelServerConfig"
    assert message in capsys.readouterr().err


def test_version_prints_two_lines_and_exits() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "serving.model_server", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("TensorFlow ModelServer: ")
    assert lines[1].startswith("TensorFlow Library: 2.")
