"""The warehouse's writers in one namespace: ``from warehouse import load``.

Steps hand over plain records; the writers stage them as Arrow tables and upsert by stable
keys inside one transaction, so a killed or repeated step never duplicates or loses rows.
Each topic lives in its own module (runs, emails, articles); this module re-exports them.
"""

from warehouse.articles import seen_articles, upsert_article_versions
from warehouse.emails import (
    known_source_files,
    message_key,
    message_texts,
    production_messages,
    record_source_files,
    stored_own_text,
    stored_quoted_text,
    upsert_messages,
)
from warehouse.runs import finish_run, insert_arrow, now, record_error, sha256_text, start_run

__all__ = [
    "finish_run", "insert_arrow", "known_source_files", "message_key", "message_texts", "now",
    "production_messages", "record_error", "record_source_files", "seen_articles",
    "sha256_text", "start_run", "stored_own_text", "stored_quoted_text",
    "upsert_article_versions", "upsert_messages",
]  # fmt: skip
