#!/bin/sh
# Train a model and publish it as the next version of the model base path, where TF
# Serving's file system polling picks it up. The trainer image's entry point.
#
#   train_and_publish.sh [--if-none-published] [options of `python -m training`]
#
# --if-none-published: do nothing when a version is already published (first start of a
# deployment); without it, every run publishes the next version (staged for a rollout).
# EXPORT_OPTIONS: options of `python -m export`, e.g. "--force" to publish a model that the
# quality gate would refuse (a quick smoke-test model), or "--min-accuracy 0.9".
set -eu

model_base_path="${MODEL_BASE_PATH:-/models/mnist}"
runs_dir="${RUNS_DIR:-/runs}"
model_kind="${MODEL_KIND:-cnn}"

# A version is a folder named by an integer (the contract TF Serving and export/ share);
# anything else (staging folders) is not.
has_version() {
    for entry in "$1"/*; do
        case "${entry##*/}" in
            "" | *[!0-9]*) ;;
            *) [ -d "$entry" ] && return 0 ;;
        esac
    done
    return 1
}

if [ "${1:-}" = "--if-none-published" ]; then
    shift
    if has_version "$model_base_path"; then
        echo "A version is already published in $model_base_path: nothing to train."
        exit 0
    fi
fi

run_dir="$runs_dir/$model_kind-$(date -u +%Y%m%dT%H%M%SZ)"
echo "Training $model_kind into $run_dir"
python -m training --model "$model_kind" --run-dir "$run_dir" "$@"
# EXPORT_OPTIONS is split into words on purpose (several options).
# shellcheck disable=SC2086
python -m export --run-dir "$run_dir" --model-base-path "$model_base_path" ${EXPORT_OPTIONS:-}
