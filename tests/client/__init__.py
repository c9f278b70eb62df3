"""Tests of the command-line clients (client/): one module per command and per module."""
