"""Where finished videos are kept: a folder (the default) or an fsspec URL that every gateway
worker reads, such as ``s3://bucket/prefix``.

``[gateway] output_dir`` names it. A path is a folder: the engine streams each download into a
hidden part file there and renames it into place, so a shared folder (NFS, a mounted volume)
needs nothing more. A URL is opened with fsspec (``pip install 'vidbridge[s3]'`` for S3:
fsspec + s3fs; other fsspec protocols work with their own backend installed). The engine then
streams the download into a local staging part file exactly as for a folder (its size check
and retries unchanged), and ``publish`` streams that file to storage in ``CHUNK_BYTES``
writes (an object store's client sends ``UPLOAD_PART_BYTES`` parts), never holding a video in
memory:

- object stores (``OBJECT_STORES``: S3 and the like) show an object only once its upload
  completes (a multipart upload appears on close), so the object is written in place and a
  failed copy is aborted;
- anything else (``file://``, ``memory://``...) gets a hidden part file, then a move.

Credentials come from the backend's own chain (for S3: the ``AWS_*`` environment variables,
the shared AWS config, an instance role), never from vidbridge's config: a URL carrying a
user or password is refused, and storage options are not configurable here, so no secret
can sit in a config file or reach a log line. fsspec is imported only when a URL is used.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from .errors import ConfigError, VidbridgeError

CHUNK_BYTES = 1 << 20  # one read/write while publishing or serving: memory stays this small
# What an object store's client buffers before sending a part (S3's minimum part is 5 MiB;
# s3fs would buffer 50 MiB by default): a video is uploaded in parts of this size.
UPLOAD_PART_BYTES = 8 << 20
EXTRA_OF = {"s3": "s3", "s3a": "s3"}  # scheme -> the vidbridge extra that brings its backend
FIELD = "[gateway] output_dir"
# fsspec protocols whose objects appear only once an upload completes: S3 (a single PUT, or a
# multipart upload completed on close; tested against a real S3 API), Google Cloud Storage
# and Azure Blob (their uploads are committed on close; not tested here).
OBJECT_STORES = frozenset({"s3", "s3a", "gcs", "gs", "az", "abfs", "abfss"})


class StorageError(VidbridgeError):
    """Storing or reading a finished video failed (the storage's own error, by type only)."""


def is_url(location: str | Path | None) -> bool:
    return isinstance(location, str) and "://" in location


def open_storage(location: str | Path, staging: Path | None = None) -> LocalStorage | RemoteStorage:
    """The storage ``location`` names (a folder path or an fsspec URL); ``ConfigError`` naming
    the field for an unknown scheme, a missing backend or credentials in the URL."""
    if not is_url(location):
        return LocalStorage(Path(os.path.expanduser(str(location))))
    url = str(location)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if "@" in parts.netloc:
        raise ConfigError(f"{FIELD}: a storage URL must not carry credentials (user or "
                          "password); the storage backend reads them from the environment "
                          f"(for s3: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or a profile)")
    extra = EXTRA_OF.get(scheme, "storage")
    try:
        import fsspec  # type: ignore[import-untyped]
    except ImportError:
        raise ConfigError(f"{FIELD} = '{scheme}://...' needs fsspec: pip install "
                          f"'vidbridge[{extra}]'") from None
    try:
        fsspec.get_filesystem_class(scheme)
    except ValueError:
        known = ", ".join(sorted({"file", "memory", "s3", "gcs", "az", "sftp"}))
        raise ConfigError(f"{FIELD}: unknown storage scheme '{scheme}://'; give a folder path "
                          f"or an fsspec URL ({known}, ...)") from None
    except ImportError as exc:
        hint = f"pip install 'vidbridge[{extra}]'" if extra != "storage" else str(exc)
        raise ConfigError(f"{FIELD} = '{scheme}://...' needs the storage backend for "
                          f"'{scheme}': {hint}") from None
    return RemoteStorage(url, staging or default_staging())


def default_staging() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "vidbridge" / "staging"


class LocalStorage:
    """A folder: the engine writes each video into place itself (part file, then rename)."""

    remote = False

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.staging = folder

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.folder)!r})"

    def staging_path(self, video_id: str) -> Path:
        return self.folder / f"{video_id}.mp4"

    def publish(self, video_id: str, local: Path) -> str:
        """The video's reference: the file the engine already put in place."""
        return str(local)

    def find(self, video_id: str) -> str | None:
        """The stored video of ``video_id`` if it is complete in storage, else None."""
        path = self.staging_path(video_id)
        return str(path) if path.exists() else None

    def exists(self, ref: str) -> bool:
        return Path(ref).exists()

    def size(self, ref: str) -> int:
        return Path(ref).stat().st_size

    def local(self, ref: str) -> Path:
        return Path(ref)

    def chunks(self, ref: str) -> Iterator[bytes]:
        with Path(ref).open("rb") as source:
            while chunk := source.read(CHUNK_BYTES):
                yield chunk

    def remove(self, video_id: str) -> None:
        for path in sorted(self.folder.glob(f"{video_id}.*")):
            path.unlink(missing_ok=True)


class RemoteStorage:
    """An fsspec location shared by every worker; a local staging folder per worker."""

    remote = True

    def __init__(self, url: str, staging: Path) -> None:
        from fsspec.core import url_to_fs  # type: ignore[import-untyped]

        self.url = url.rstrip("/")
        # No listings cache: another worker may have stored a video since we last looked.
        self.fs, root = url_to_fs(self.url, use_listings_cache=False)
        self.root = root.rstrip("/")
        self.staging = staging
        protocols = self.fs.protocol if isinstance(self.fs.protocol, tuple) else (
            self.fs.protocol,)
        # Object stores publish an object only when its upload completes (and "renaming" one
        # is a second full copy); anything else may show a file while it is written, so
        # there it is a part file moved into place.
        self.renames = not set(protocols) & OBJECT_STORES

    def __repr__(self) -> str:
        return f"RemoteStorage({self.url!r})"

    def staging_path(self, video_id: str) -> Path:
        return self.staging / f"{video_id}.mp4"

    def path_of(self, name: str) -> str:
        return f"{self.root}/{name}" if self.root else name

    def ref_of(self, video_id: str) -> str:
        return self.fs.unstrip_protocol(self.path_of(f"{video_id}.mp4"))  # type: ignore[no-any-return]

    def publish(self, video_id: str, local: Path) -> str:
        """Stream ``local`` to storage, visible only once complete; returns its URL and
        removes the local file."""
        target = self.path_of(f"{video_id}.mp4")
        try:
            if self.renames:
                self.fs.makedirs(self.root, exist_ok=True)
                part = self.path_of(f".{video_id}.mp4.{secrets.token_hex(6)}.part")
                try:
                    self._upload(local, part)
                    self.fs.mv(part, target)
                except BaseException:
                    _quietly(self.fs.rm, part)
                    raise
            else:
                self._upload(local, target)
        except (OSError, ValueError, RuntimeError) as exc:
            raise StorageError(f"storing {video_id} at {self.url} failed "
                               f"({type(exc).__name__})") from None
        local.unlink(missing_ok=True)
        return self.ref_of(video_id)

    def _upload(self, local: Path, target: str) -> None:
        with local.open("rb") as source:
            out = self.fs.open(target, "wb", block_size=UPLOAD_PART_BYTES)
            try:
                copy_chunks(source, out)
            except BaseException:
                # An object store's file is aborted (s3fs aborts the multipart upload; closing
                # would complete it); a filesystem's part file is closed, then removed.
                discard = getattr(out, "discard", None)
                if callable(discard) and not self.renames:
                    _quietly(discard)
                    _quietly(setattr, out, "closed", True)  # so its __del__ will not close it
                else:
                    _quietly(out.close)
                raise
            out.close()  # an object store completes the upload here, and only here

    def find(self, video_id: str) -> str | None:
        """The stored video if complete in storage; a copy still in this worker's staging
        folder (a crash between download and publish) is published first."""
        if self.exists(self.ref_of(video_id)):
            return self.ref_of(video_id)
        staged = self.staging_path(video_id)
        return self.publish(video_id, staged) if staged.exists() else None

    def exists(self, ref: str) -> bool:
        try:
            return bool(self.fs.exists(ref))
        except OSError:
            return False

    def size(self, ref: str) -> int:
        return int(self.fs.size(ref))

    def chunks(self, ref: str) -> Iterator[bytes]:
        """The stored file, ``CHUNK_BYTES`` at a time (what the gateway streams)."""
        with self.fs.open(ref, "rb", block_size=CHUNK_BYTES) as source:
            while chunk := source.read(CHUNK_BYTES):
                yield chunk

    def local(self, ref: str) -> Path:
        """A local copy of a stored video (for the SDK look-alike's ``download_content`` and
        the still variants), fetched once per worker, streamed."""
        video_id = ref.rsplit("/", 1)[-1].removesuffix(".mp4")
        path = self.staging / "served" / f"{video_id}.mp4"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            part = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(6)}.part")
            try:
                with part.open("wb") as out:
                    for chunk in self.chunks(ref):
                        out.write(chunk)
                part.replace(path)
            finally:
                part.unlink(missing_ok=True)
        return path

    def remove(self, video_id: str) -> None:
        for path in self.fs.glob(self.path_of(f"{video_id}.*")):
            _quietly(self.fs.rm, path)
        for folder in (self.staging, self.staging / "served"):
            for path in sorted(folder.glob(f"{video_id}.*")):
                path.unlink(missing_ok=True)


def copy_chunks(source: IO[bytes], out: Any, chunk: int = CHUNK_BYTES) -> int:
    """Copy ``source`` to ``out`` ``chunk`` bytes at a time; returns the bytes copied."""
    total = 0
    while data := source.read(chunk):
        out.write(data)
        total += len(data)
    return total


def _quietly(action: Any, *args: Any) -> None:
    with contextlib.suppress(Exception):  # cleanup after a failure must not hide that failure
        action(*args)

