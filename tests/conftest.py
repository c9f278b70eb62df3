"""Fixtures shared by the stages' tests.

Each group of fixtures lives in its own module under tests/fixtures/ and is imported here,
so that any test can ask for it by name.
"""
