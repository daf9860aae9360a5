"""Walking a production: order, unknown files, bad input."""

from __future__ import annotations

from pathlib import Path

from foia.ingest import iter_production
from foia.models import IngestError, Message

MAIL = b"From: a@b.example\nSubject: s%d\nX-Bates: ABC-19-000000%d\n\nbody %d\n"


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_sorted_recursive_and_deterministic(tmp_path: Path) -> None:
    _write(tmp_path / "b" / "2.eml", MAIL % (2, 2, 2))
    _write(tmp_path / "a" / "deep" / "1.eml", MAIL % (1, 1, 1))
    _write(tmp_path / "a" / "3.eml", MAIL % (3, 3, 3))
    _write(tmp_path / "notes.docx", b"whatever")
    first = [m.bates for m in iter_production([tmp_path]) if isinstance(m, Message)]
    again = [m.bates for m in iter_production([tmp_path]) if isinstance(m, Message)]
    assert first == again == ["ABC-19-0000003", "ABC-19-0000001", "ABC-19-0000002"]


def test_unknown_file_inside_a_folder_is_reported_not_skipped(tmp_path: Path) -> None:
    _write(tmp_path / "a" / "1.eml", MAIL % (1, 1, 1))
    doc = _write(tmp_path / "a" / "notes.docx", b"whatever")
    _write(tmp_path / "a" / "README", b"no extension")
    _write(tmp_path / ".DS_Store", b"hidden: not a production file")
    errs = {
        e.source_file: e.reason for e in iter_production([tmp_path]) if isinstance(e, IngestError)
    }
    assert errs == {
        str(doc): "unsupported format: .docx",
        str(tmp_path / "a" / "README"): "unsupported format: no extension",
    }


def test_broken_mailbox_files_are_errors_naming_the_file(tmp_path: Path) -> None:
    _write(tmp_path / "box.msg", b"x")
    _write(tmp_path / "all.mbox", b"x")
    out = list(iter_production([tmp_path]))
    assert all(isinstance(e, IngestError) for e in out)
    by_name = {Path(e.source_file).name: e.reason for e in out if isinstance(e, IngestError)}
    assert set(by_name) == {"box.msg", "all.mbox"}
    assert "MSG" in by_name["box.msg"] and "mbox" in by_name["all.mbox"]


def test_unknown_extension_named_explicitly_is_reported(tmp_path: Path) -> None:
    doc = _write(tmp_path / "x.docx", b"x")
    out = list(iter_production([doc]))
    assert len(out) == 1 and isinstance(out[0], IngestError)
    assert out[0].source_file == str(doc) and "unsupported format" in out[0].reason


def test_missing_path_is_an_error_not_an_exception(tmp_path: Path) -> None:
    out = list(iter_production([tmp_path / "nope.eml"]))
    assert isinstance(out[0], IngestError) and out[0].source_file.endswith("nope.eml")
