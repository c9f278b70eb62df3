"""TF Serving config messages that the `tensorflow-serving-api` wheel does not ship.

`BatchingParameters` (tensorflow_serving/servables/tensorflow/session_bundle_config.proto) and
`MonitoringConfig` (tensorflow_serving/config/monitoring_config.proto) are built here from
descriptors with the same package, names and field numbers as TF Serving's .proto files, so
the text-proto files in serving/config/ parse identically in both servers. Building them at
run time avoids committing protoc output tied to one protobuf release.
"""

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, wrappers_pb2
from google.protobuf.message import Message

_PACKAGE = "tensorflow.serving"
_FIELD = descriptor_pb2.FieldDescriptorProto


def _field(
    name: str,
    number: int,
    kind: "_FIELD.Type.ValueType",
    type_name: str = "",
    repeated: bool = False,
) -> _FIELD:
    label = _FIELD.LABEL_REPEATED if repeated else _FIELD.LABEL_OPTIONAL
    field = _FIELD(name=name, number=number, type=kind, label=label)
    if type_name:
        field.type_name = type_name
    return field


def _wrapper(name: str, number: int, wrapper: str) -> _FIELD:
    return _field(name, number, _FIELD.TYPE_MESSAGE, f".google.protobuf.{wrapper}")


def _build() -> tuple[type[Message], type[Message]]:
    pool = descriptor_pool.Default()
    file_name = "mnist_serving/tf_serving_extra_config.proto"
    try:
        pool.FindFileByName(file_name)
    except KeyError:
        wrappers_file = wrappers_pb2.DESCRIPTOR.name
        batching = descriptor_pb2.DescriptorProto(
            name="BatchingParameters",
            field=[
                _wrapper("max_batch_size", 1, "Int64Value"),
                _wrapper("batch_timeout_micros", 2, "Int64Value"),
                _wrapper("max_enqueued_batches", 3, "Int64Value"),
                _wrapper("num_batch_threads", 4, "Int64Value"),
                _wrapper("thread_pool_name", 5, "StringValue"),
                _field("allowed_batch_sizes", 6, _FIELD.TYPE_INT64, repeated=True),
                _field("pad_variable_length_inputs", 7, _FIELD.TYPE_BOOL),
            ],
        )
        prometheus = descriptor_pb2.DescriptorProto(
            name="PrometheusConfig",
            field=[
                _field("enable", 1, _FIELD.TYPE_BOOL),
                _field("path", 2, _FIELD.TYPE_STRING),
            ],
        )
        monitoring = descriptor_pb2.DescriptorProto(
            name="MonitoringConfig",
            field=[
                _field("prometheus_config", 1, _FIELD.TYPE_MESSAGE, f".{_PACKAGE}.PrometheusConfig")
            ],
        )
        pool.Add(
            descriptor_pb2.FileDescriptorProto(
                name=file_name,
                package=_PACKAGE,
                syntax="proto3",
                dependency=[wrappers_file],
                message_type=[batching, prometheus, monitoring],
            )
        )
    return (
        message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"{_PACKAGE}.BatchingParameters")
        ),
        message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.MonitoringConfig")),
    )


BatchingParameters, MonitoringConfig = _build()
