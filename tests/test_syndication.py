"""Syndicated copies: near-duplicates across outlets grouped under the earliest."""

from __future__ import annotations

from datetime import UTC, datetime

from crawlers.syndication import containment, find_copies, shingles

STORY = (
    "The man charged in Saturday's attack on a hiker at the trailhead has been sent back to "
    "Mexico four times in the past fifteen years, federal officials said Tuesday. He also "
    "served time in federal prison after a conviction for returning to the country, a "
    "spokesman said. After his arrest this week, officers revived his old deportation order "
    "and asked the county jail not to release him. Records list at least two other names for "
    "him. He is charged with aggravated battery and attempted robbery, and his preliminary "
    "hearing is set for the middle of the month."
)
# trimmed, re-punctuated, a new first paragraph: less than 0.6 of it is in the original
COPY = (
    "A hiker was hurt in the attack, which drew a crowd of volunteers to the search. "
    "The man charged in Saturday's attack on a hiker at the trailhead -- has been sent back to "
    "Mexico four times in the past fifteen years -- federal officials said Tuesday. He also "
    "served time in federal prison after a conviction for returning to the country. "
    "Neighbors described the trail as busy on weekends and quiet during the week. "
    "He is charged with aggravated battery and attempted robbery."
)
NOTE = " This story originally appeared in the Daily Clarion and is shared through an exchange."


def _docs(copy: str) -> list[dict]:
    return [
        {"url": "https://a.example/1", "outlet": "a", "text": STORY,
         "published_at": datetime(2023, 12, 6, tzinfo=UTC)},
        {"url": "https://b.example/1", "outlet": "b", "text": copy,
         "published_at": datetime(2023, 12, 7, tzinfo=UTC)},
    ]  # fmt: skip


def test_a_copy_that_says_so_is_grouped_with_less_text_in_common() -> None:
    sim = containment(shingles(COPY), shingles(STORY))
    assert 0.35 <= sim < 0.6, sim
    assert find_copies(_docs(COPY)) == []
    (copy,) = find_copies(_docs(COPY + NOTE))
    assert (copy.url, copy.original_url) == ("https://b.example/1", "https://a.example/1")
