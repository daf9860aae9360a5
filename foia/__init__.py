"""FOIA intake: production files -> :class:`foia.models.Message` records.

Entry points: :func:`foia.ingest.iter_production` (files/folders), :func:`foia.eml.parse_eml`,
:func:`foia.pdf.parse_pdf`, :func:`foia.threads.split_message`,
:func:`foia.redactions.find_redactions`.
"""
