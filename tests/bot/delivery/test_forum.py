"""Which forum tag a subscription's posts carry."""

from __future__ import annotations

import pytest

from bot.delivery.forum import matching_tag


@pytest.mark.parametrize(("topic", "tags", "expected"), [
    ("Iran supreme leader", ["Sports", "Iran"], 1),  # a tag that is a word of the topic
    ("iran   SUPREME leader!", ["Iran supreme leader", "Iran"], 0),  # the tag equal to the topic wins
    ("Iran supreme leader", ["Iran", "Iran supreme"], 1),  # else the tag with the most topic words
    ("Iran supreme leader", ["Iraq", "Irán", "Leaders"], None),  # no partial words
    ("Turkey earthquake", ["", "!!", "🌍"], None),  # tags without words name nothing
    ("Rail strike", ["rail", "Rail"], 0),  # ties: the forum's first
])
def test_matching_tag(topic: str, tags: list[str], expected: int | None) -> None:
    assert matching_tag(topic, tags) == expected
