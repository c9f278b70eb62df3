"""Tests of the export stage (export/): the SavedModel, the gate, atomic publish, listing."""
