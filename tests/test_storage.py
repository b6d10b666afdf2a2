"""Output storage: a folder or an fsspec URL; chunked, all-or-nothing publishing; typed
config errors for what cannot work (S3 itself is tested against a real S3 API in
tests/gateway/test_s3_storage.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from vidbridge import storage
from vidbridge.errors import ConfigError
from vidbridge.storage import CHUNK_BYTES, LocalStorage, RemoteStorage, StorageError, open_storage

pytest.importorskip("fsspec")
BIG = 5 * CHUNK_BYTES + 12_345  # several chunks and a ragged end


def test_a_path_is_a_folder_and_needs_no_fsspec(tmp_path: Path) -> None:
    found = open_storage(str(tmp_path / "videos"))
    assert isinstance(found, LocalStorage) and found.folder == tmp_path / "videos"
    assert open_storage("~/videos").folder == Path.home() / "videos"  # type: ignore[union-attr]


@pytest.mark.parametrize(("url", "words"), [
    ("nosuch://bucket/x", ["[gateway] output_dir", "unknown storage scheme 'nosuch://'"]),
    ("s3://AKIAEXAMPLE:hunter2@bucket/x", ["[gateway] output_dir", "must not carry "
                                           "credentials", "AWS_ACCESS_KEY_ID"]),
])
def test_an_unknown_scheme_or_credentials_in_the_url_is_a_config_error(
        url: str, words: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        open_storage(url)
    assert all(word in str(caught.value) for word in words), caught.value
    assert "hunter2" not in str(caught.value)


def test_a_missing_extra_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import fsspec

    def no_backend(scheme: str) -> Any:
        raise ImportError("Install s3fs to access S3")

    monkeypatch.setattr(fsspec, "get_filesystem_class", no_backend)
    with pytest.raises(ConfigError, match=r"output_dir = 's3://\.\.\.' .*vidbridge\[s3\]"):
        open_storage("s3://bucket/videos")
    monkeypatch.setitem(__import__("sys").modules, "fsspec", None)  # fsspec not installed
    with pytest.raises(ConfigError, match=r"needs fsspec: pip install 'vidbridge\[s3\]'"):
        open_storage("s3://bucket/videos")


class Recording:
    """Wraps the storage's file objects, recording each write and what was visible then."""

    def __init__(self, fs: Any, final: str) -> None:
        self.fs, self.final = fs, final
        self.writes: list[int] = []
        self.visible_while_writing: list[bool] = []

    def wrap(self, opened: Any) -> Any:
        original = opened.write

        def write(data: bytes) -> int:
            self.writes.append(len(data))
            self.visible_while_writing.append(self.fs.exists(self.final))
            return int(original(data))

        opened.write = write
        return opened


def _staged(remote: RemoteStorage, video_id: str, size: int) -> Path:
    local = remote.staging_path(video_id)
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(os.urandom(1024) * (size // 1024) + b"x" * (size % 1024))
    return local


def test_publishing_to_a_file_url_streams_chunks_into_a_part_file_then_renames(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    remote = open_storage(f"file://{tmp_path}/shared", tmp_path / "staging")
    assert isinstance(remote, RemoteStorage) and remote.renames
    local = _staged(remote, "video_a", BIG)
    body = local.read_bytes()
    recording = Recording(remote.fs, remote.path_of("video_a.mp4"))
    opener = remote.fs.open
    monkeypatch.setattr(remote.fs, "open", lambda *a, **k: recording.wrap(opener(*a, **k)))
    ref = remote.publish("video_a", local)
    assert ref == f"file://{tmp_path}/shared/video_a.mp4"
    assert max(recording.writes) <= CHUNK_BYTES and len(recording.writes) == 6  # never whole
    assert not any(recording.visible_while_writing)  # the name appears only when complete
    assert (tmp_path / "shared" / "video_a.mp4").read_bytes() == body
    assert not local.exists() and os.listdir(tmp_path / "shared") == ["video_a.mp4"]
    assert b"".join(remote.chunks(ref)) == body
    assert all(len(chunk) <= CHUNK_BYTES for chunk in remote.chunks(ref))


@pytest.mark.parametrize("url", ["file://{tmp}/shared", "memory://{name}/videos"])
def test_a_publish_that_fails_midway_leaves_nothing_visible(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    remote = open_storage(url.format(tmp=tmp_path, name=tmp_path.name), tmp_path / "staging")
    assert isinstance(remote, RemoteStorage)
    local = _staged(remote, "video_b", BIG)
    copied = []

    def copy_then_fail(source: Any, out: Any, chunk: int = CHUNK_BYTES) -> int:
        out.write(source.read(chunk))
        copied.append(chunk)
        raise OSError("disk full")

    monkeypatch.setattr(storage, "copy_chunks", copy_then_fail)
    with pytest.raises(StorageError, match=r"storing video_b at .* failed \(OSError\)"):
        remote.publish("video_b", local)
    assert copied and not remote.exists(remote.ref_of("video_b"))
    assert not remote.fs.exists(remote.root) or remote.fs.ls(remote.root) == []  # no part
    assert local.exists()  # kept: the next attempt (or recovery) publishes it
    monkeypatch.undo()
    assert remote.find("video_b") == remote.ref_of("video_b") and not local.exists()


def test_find_publishes_a_copy_a_crash_left_in_staging(tmp_path: Path) -> None:
    remote = open_storage(f"file://{tmp_path}/shared", tmp_path / "staging")
    assert isinstance(remote, RemoteStorage)
    assert remote.find("video_c") is None
    _staged(remote, "video_c", 2048)
    ref = remote.find("video_c")
    assert ref is not None and remote.exists(ref) and remote.size(ref) == 2048
    assert remote.local(ref).read_bytes() == b"".join(remote.chunks(ref))
    remote.remove("video_c")
    assert not remote.exists(ref) and remote.find("video_c") is None
