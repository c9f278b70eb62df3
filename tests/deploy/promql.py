"""What a PromQL expression names: its metrics and the labels it matches or groups by.

Enough of PromQL for the dashboard's queries (selectors, ranges, aggregations, functions,
binary operators); promtool, where installed, checks the full syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
RANGE = re.compile(r"\[[^\]]*\]")
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
MATCHERS = re.compile(r"\{([^}]*)\}")
MATCHER_LABEL = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
IDENTIFIER = re.compile(r"(?<![\w:$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])\s*(\()?")
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
# Grafana's variables, replaced by values of the same kind before checking.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "1h", "$__interval": "1m"}


@dataclass(frozen=True)
class Names:
    metrics: frozenset[str]
    labels: frozenset[str]  # matched in selectors or named in by/without/on/ignoring


def names(expression: str) -> Names:
    text = RANGE.sub("", STRING.sub('""', expression))
    labels = {label.strip() for group in GROUPING.findall(text) for label in group.split(",")}
    text = GROUPING.sub(" ", text)
    for matchers in MATCHERS.findall(text):
        labels.update(MATCHER_LABEL.findall(matchers))
    text = MATCHERS.sub(" ", text)
    metrics = {
        name for name, call in IDENTIFIER.findall(text) if not call and name.lower() not in KEYWORDS
    }
    return Names(frozenset(metrics), frozenset(label for label in labels if label))


def without_grafana_variables(expression: str, variables: dict[str, str]) -> str:
    """The expression as Grafana sends it: its $variables replaced by example values."""
    for name, value in {**GRAFANA_VARIABLES, **variables}.items():
        expression = expression.replace(name, value)
    return expression
