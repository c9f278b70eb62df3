"""The last predictions, by request id, so that POST /feedback can say whether one was right.

A bounded, insertion-ordered map: the oldest prediction is forgotten when a new one comes in
beyond `size` (GATEWAY_FEEDBACK_MEMORY). Each image of a request is judged once: a second
report on the same image answers the same verdict without counting it again.

Feedback names one digit, so only one-digit answers (`digit`, `uncertain`: the most likely
digit) take it; a `number` or a `not_a_digit` is remembered by its status alone, and a
report on it is refused with that status named.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from reader.judge import DIGIT, UNCERTAIN, Answer


@dataclass
class Remembered:
    version: int
    role: str
    digits: tuple[int | None, ...]  # one per image, in upload order; None: not one digit
    statuses: tuple[str, ...]  # each image's answer status
    judged: set[int] = field(default_factory=set)  # images that got feedback


def one_digit(answer: Answer) -> int | None:
    return answer.digits[0].digit if answer.status in (DIGIT, UNCERTAIN) else None


class PredictionMemory:
    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, Remembered] = OrderedDict()

    def remember(self, request_id: str, version: int, role: str, answers: Sequence[Answer]) -> None:
        digits = tuple(one_digit(answer) for answer in answers)
        statuses = tuple(answer.status for answer in answers)
        self._entries[request_id] = Remembered(version, role, digits, statuses)
        self._entries.move_to_end(request_id)  # a repeated id is the newest again
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def get(self, request_id: str) -> Remembered | None:
        return self._entries.get(request_id)

    def __len__(self) -> int:
        return len(self._entries)
