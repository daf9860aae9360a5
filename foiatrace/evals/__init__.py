"""Evaluations: the pipeline run on labelled or real data, with honest figures.

Each module is listed once in ``REGISTRY`` and adds its own command to ``foiatrace eval``;
the CLI only calls :func:`register_all`.
"""

from __future__ import annotations

from importlib import import_module

import typer

# module name -> what it measures (the README's evaluation table is built from this)
REGISTRY: dict[str, str] = {
    "scenario": "whole pipeline on a labelled scenario: pair P/R/F1, detail recall, look-alikes",
    "calibrate": "fit the pair model leave-one-scenario-out; write weights and threshold",
    "intake": "EML vs printed (or scanned) PDF agreement per field, quoted-chain attribution",
    "extraction": "article text extraction vs ground truth, beside plain trafilatura",
    "pairs": "sentence-pair evidence vs raw MiniLM cosine on InSciOut and MSRP",
    "noise": "precision on real text: re-dated Clinton emails vs a scenario's articles",
}


def register_all(eval_app: typer.Typer) -> None:
    for name in REGISTRY:
        import_module(f"foiatrace.evals.{name}").register(eval_app)
