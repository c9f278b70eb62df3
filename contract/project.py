"""The project's name and installed version, recorded in run.json and each version's metadata."""

from importlib import metadata

PROJECT = "mnist-serving"


def project_version() -> str:
    try:
        return metadata.version(PROJECT)
    except metadata.PackageNotFoundError:  # running from a checkout that is not installed
        return "0+unknown"
