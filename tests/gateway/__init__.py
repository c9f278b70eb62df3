"""Tests of the gateway (serving/gateway/): one module per route and per module."""
