"""The atomic file writer every command's ``-o`` goes through."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from microcred.io.atomicfile import write_atomically


def test_write_atomically_replaces_and_keeps_the_mode(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    out.write_text("old")
    out.chmod(0o640)
    write_atomically(out, "new ✓")
    assert out.read_text(encoding="utf-8") == "new ✓"
    assert out.stat().st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["r.html"]  # no temporary file left behind


def test_a_new_file_gets_the_umask_mode(tmp_path: Path) -> None:
    mask = os.umask(0o027)
    try:
        write_atomically(tmp_path / "new.json", "{}\n")
    finally:
        os.umask(mask)
    assert (tmp_path / "new.json").stat().st_mode & 0o777 == 0o640


def test_a_directory_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomically(tmp_path / "d", "x")
    assert (tmp_path / "d").is_dir() and os.listdir(tmp_path / "d") == []


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r.txt"
    out.write_text("old")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomically(out, "new")
    assert out.read_text() == "old"
    assert os.listdir(tmp_path) == ["r.txt"]


def test_bytes_with_a_mode_and_no_overwrite(tmp_path: Path) -> None:
    """Keys are written as bytes with their own mode, and never over a file that exists."""
    key = tmp_path / "k.pem"
    write_atomically(key, b"\x00secret\n", mode=0o600, overwrite=False)
    assert key.read_bytes() == b"\x00secret\n"
    assert key.stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        write_atomically(key, b"other", mode=0o600, overwrite=False)
    assert key.read_bytes() == b"\x00secret\n"
    assert [p.name for p in tmp_path.iterdir()] == ["k.pem"]
