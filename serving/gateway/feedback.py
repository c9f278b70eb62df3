"""The last predictions, by request id, so that POST /feedback can say whether one was right.

A bounded, insertion-ordered map: the oldest prediction is forgotten when a new one comes in
beyond `size` (GATEWAY_FEEDBACK_MEMORY). Each image of a request is judged once: a second
report on the same image answers the same verdict without counting it again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class Remembered:
    version: int
    role: str
    digits: tuple[int, ...]  # one per image, in upload order
    judged: set[int] = field(default_factory=set)  # images that got feedback


class PredictionMemory:
    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, Remembered] = OrderedDict()

    def remember(self, request_id: str, version: int, role: str, digits: tuple[int, ...]) -> None:
        self._entries[request_id] = Remembered(version, role, digits)
        self._entries.move_to_end(request_id)  # a repeated id is the newest again
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def get(self, request_id: str) -> Remembered | None:
        return self._entries.get(request_id)

    def __len__(self) -> int:
        return len(self._entries)
