"""The command-line flags of `tensorflow_model_server`, from the flag list in TF Serving's
tensorflow_serving/model_servers/main.cc. The binary does not stop on an unknown flag (it
prints "unknown argument" and starts without it), so a misspelt or local-only flag in a
deployment file would silently change behaviour: the tests reject any flag not listed here.
"""

TF_SERVING_FLAGS = frozenset(
    {
        "port",
        "grpc_socket_path",
        "rest_api_port",
        "rest_api_num_threads",
        "rest_api_timeout_in_ms",
        "rest_api_enable_cors_support",
        "enable_batching",
        "allow_version_labels_for_unavailable_models",
        "batching_parameters_file",
        "enable_per_model_batching_parameters",
        "model_config_file",
        "model_config_file_poll_wait_seconds",
        "model_name",
        "model_base_path",
        "num_load_threads",
        "num_unload_threads",
        "max_num_load_retries",
        "load_retry_interval_micros",
        "file_system_poll_wait_seconds",
        "flush_filesystem_caches",
        "tensorflow_session_parallelism",
        "tensorflow_session_config_file",
        "tensorflow_intra_op_parallelism",
        "tensorflow_inter_op_parallelism",
        "use_alts_credentials",
        "ssl_config_file",
        "platform_config_file",
        "per_process_gpu_memory_fraction",
        "saved_model_tags",
        "grpc_channel_arguments",
        "grpc_max_threads",
        "enable_model_warmup",
        "num_request_iterations_for_warmup",
        "version",
        "monitoring_config_file",
        "remove_unused_fields_from_bundle_metagraph",
        "prefer_tflite_model",
        "num_tflite_pools",
        "num_tflite_interpreters_per_pool",
        "enable_signature_method_name_check",
        "xla_cpu_compilation_enabled",
        "enable_profiler",
        "thread_pool_factory_config_file",
    }
)


def unknown_flags(command: list[str]) -> list[str]:
    """The arguments of a tensorflow_model_server command line that it does not know."""
    return [
        arg
        for arg in command
        if not arg.startswith("--") or arg[2:].split("=", 1)[0] not in TF_SERVING_FLAGS
    ]
