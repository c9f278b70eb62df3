"""Tiny SavedModels computing `y = a*x + b`, as TF Serving's own test models do.

`write_tf1_model` builds one the TF1 way (tf.compat.v1 graph, placeholders, an asset file
and a main op), with three signatures:
    serving_default  predict: x float [-1,1] -> y float [-1,1]
    classify_x       classify: serialized tf.Examples (feature x) -> scores [-1,1]
    classify_labels  classify: examples -> classes (string) and scores, 2 classes a row
    regress_x        regress: serialized tf.Examples (feature x) -> outputs [-1,1]
"""

from pathlib import Path

CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"
PREDICT = "tensorflow/serving/predict"


def write_tf1_model(version_dir: Path, a: float, b: float) -> Path:
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default(), v1.Session(graph=graph) as session:
        a_var = v1.Variable(a, name="a")
        b_var = v1.Variable(b, name="b")
        x = v1.placeholder(tf.float32, shape=[None, 1], name="x")
        y = tf.add(a_var * x, b_var, name="y")
        serialized = v1.placeholder(tf.string, name="tf_example")
        features = v1.parse_example(serialized, {"x": v1.FixedLenFeature([1], tf.float32)})
        from_examples = tf.add(a_var * features["x"], b_var, name="y_from_examples")
        labels = tf.tile(tf.constant([["low", "high"]]), [tf.shape(from_examples)[0], 1])
        two_scores = tf.concat([-from_examples, from_examples], axis=1)
        asset = version_dir.parent / "vocabulary.txt"
        asset.parent.mkdir(parents=True, exist_ok=True)
        asset.write_text("low\nhigh\n")
        asset_path = tf.constant(str(asset), name="asset_path")
        v1.add_to_collection(v1.GraphKeys.ASSET_FILEPATHS, asset_path)
        session.run(v1.global_variables_initializer())

        info = v1.saved_model.utils.build_tensor_info

        def signature(inputs: dict, outputs: dict, method: str):  # type: ignore[no-untyped-def]
            return v1.saved_model.signature_def_utils.build_signature_def(
                {k: info(t) for k, t in inputs.items()},
                {k: info(t) for k, t in outputs.items()},
                method,
            )

        builder = v1.saved_model.Builder(str(version_dir))
        builder.add_meta_graph_and_variables(
            session,
            [v1.saved_model.tag_constants.SERVING],
            signature_def_map={
                "serving_default": signature({"x": x}, {"y": y}, PREDICT),
                "classify_x": signature(
                    {"inputs": serialized}, {"scores": from_examples}, CLASSIFY
                ),
                "classify_labels": signature(
                    {"inputs": serialized}, {"classes": labels, "scores": two_scores}, CLASSIFY
                ),
                "regress_x": signature({"inputs": serialized}, {"outputs": from_examples}, REGRESS),
            },
            assets_collection=v1.get_collection(v1.GraphKeys.ASSET_FILEPATHS),
            main_op=v1.tables_initializer(),
        )
        builder.save()
    return version_dir
