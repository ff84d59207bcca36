"""Topics, languages and daily windows."""

from __future__ import annotations

import pytest

from matching import (
    DailyWindow,
    InvalidRequest,
    Topic,
    UnknownTopic,
    list_topics,
    parse_language,
    parse_topics,
)
from matching.vocabulary import slot_mask


def test_topics_parse_and_list() -> None:
    assert parse_topics(["moral-injury", "burnout"]) == {Topic.MORAL_INJURY, Topic.BURNOUT}
    codes = [code for code, _ in list_topics()]
    assert codes[0] == "adverse-event" and "other" in codes
    assert len({t.bit for t in Topic}) == len(Topic)


def test_unknown_topic_names_the_value() -> None:
    with pytest.raises(UnknownTopic, match="'grief'"):
        parse_topics(["burnout", "grief"])


@pytest.mark.parametrize("bad", ["EN", "eng", "e", "", "e1"])
def test_language_codes_are_iso_639_1_shaped(bad: str) -> None:
    assert parse_language("es") == "es"
    with pytest.raises(InvalidRequest):
        parse_language(bad)


def test_window_validation() -> None:
    with pytest.raises(InvalidRequest):
        DailyWindow(600, 600)
    with pytest.raises(InvalidRequest):
        DailyWindow(-30, 600)


def test_slot_mask_shifts_to_utc_and_wraps_midnight() -> None:
    nine_to_ten = (DailyWindow.hours(9, 10),)
    assert slot_mask(nine_to_ten, 0) == 0b11 << 18
    assert slot_mask(nine_to_ten, -300) == 0b11 << 28  # 09:00 New York is 14:00 UTC
    assert slot_mask(nine_to_ten, 330) == 0b11 << 7  # 09:00 India is 03:30 UTC
    overnight = slot_mask((DailyWindow.hours(23, 1),), 0)
    assert overnight == (0b11 << 46) | 0b11
    assert slot_mask((), 0) == slot_mask((DailyWindow.hours(8, 22),), 0)
