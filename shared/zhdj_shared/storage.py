"""Content-addressed blob storage for attachments (activity photos, service-request photos...).

A blob's key is the SHA-256 hex digest of its bytes, so the same photo uploaded twice is stored
once, a key can never point at different content, and a record (or an event-log entry) that
stores the key is tamper-evident about its attachment too.

The embedded default is :class:`LocalBlobStore` (files under the data folder, sharded by the
first two byte pairs of the key). With several replicas a pod's disk is not shared, so
``database`` stores the blobs in the service's own database (:class:`DatabaseBlobStore`, a
``blobs`` table): every replica reads what any wrote, and backups include them, with no storage
system beside PostgreSQL. :func:`blob_store_from_url` is the one place a deployment picks the
backend: ``file:///path`` or ``database``; ``s3://bucket/prefix`` is the extension point for
S3-compatible storage and is refused with a clear configuration error until an implementation of
the :class:`BlobStore` protocol is added (it needs a client library this platform does not ship).

:func:`validate_upload` is the shared upload check: size limit, then the real type sniffed from
the magic bytes (a client's ``Content-Type`` is never trusted on its own).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_shared.db import Database, UTCDateTime, utcnow
from zhdj_shared.errors import FieldError, PayloadTooLarge, Unprocessable

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
IMAGE_TYPES: frozenset[str] = frozenset({JPEG, PNG, WEBP})
DEFAULT_ALLOWED_TYPES: frozenset[str] = frozenset({JPEG, PNG, WEBP, PDF})
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

_KEY = re.compile(r"^[0-9a-f]{64}$")


class StorageConfigurationError(ValueError):
    """The configured storage URL names a backend this build cannot use."""


class BlobNotFoundError(KeyError):
    """No blob is stored under the key."""


@runtime_checkable
class BlobStore(Protocol):
    """What a service needs from attachment storage; keys are SHA-256 hex digests.

    ``session``: the request's unit of work. A store in the database writes and reads through
    it (one transaction with the record naming the blob, and no second pooled connection per
    request); a store on disk ignores it.
    """

    async def put(
        self, data: bytes, content_type: str, *, session: AsyncSession | None = None
    ) -> str:
        """Store ``data`` and return its key; storing the same bytes again is a no-op."""
        ...

    async def get(self, key: str, *, session: AsyncSession | None = None) -> bytes:
        """The bytes under ``key``; raises :class:`BlobNotFoundError` when absent."""
        ...

    async def exists(self, key: str, *, session: AsyncSession | None = None) -> bool:
        """Whether a blob is stored under ``key``."""
        ...


def content_key(data: bytes) -> str:
    """The key a blob is stored under: its SHA-256 hex digest."""
    return hashlib.sha256(data).hexdigest()


def is_valid_key(key: str) -> bool:
    return bool(_KEY.match(key))


class LocalBlobStore:
    """Blobs as files ``<root>/ab/cd/<sha256>``; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        if not is_valid_key(key):
            # Also what keeps a crafted key ("../../etc") from leaving the root.
            raise BlobNotFoundError(key)
        return self.root / key[:2] / key[2:4] / key

    async def put(
        self, data: bytes, content_type: str, *, session: AsyncSession | None = None
    ) -> str:
        key = content_key(data)
        await asyncio.to_thread(self._write, key, data)
        return key

    async def get(self, key: str, *, session: AsyncSession | None = None) -> bytes:
        path = self.path_for(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise BlobNotFoundError(key) from exc

    async def exists(self, key: str, *, session: AsyncSession | None = None) -> bool:
        try:
            path = self.path_for(key)
        except BlobNotFoundError:
            return False
        return await asyncio.to_thread(path.is_file)

    def _write(self, key: str, data: bytes) -> None:
        path = self.path_for(key)
        if path.is_file():
            return  # content-addressed: the same key always holds the same bytes
        path.parent.mkdir(parents=True, exist_ok=True)
        # The temp file lives in the target folder so the rename stays on one file system
        # (atomic): a reader never sees a half-written blob, and concurrent writers of the
        # same content simply replace one complete file with an identical one.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


BLOBS_TABLE = "blobs"


def blob_table(metadata: MetaData) -> Table:
    """The ``blobs`` table on a service's own metadata (once per metadata)."""
    if BLOBS_TABLE in metadata.tables:
        return metadata.tables[BLOBS_TABLE]
    return Table(
        BLOBS_TABLE,
        metadata,
        Column("key", String(64), primary_key=True),
        Column("content_type", String(100), nullable=False),
        Column("size", Integer, nullable=False),
        Column("data", LargeBinary, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
    )


class DatabaseBlobStore:
    """Blobs as rows of the service's own database (``bytea`` on PostgreSQL, a BLOB on SQLite).

    Given the request's session, a put joins its transaction: the blob and the record naming it
    commit together or not at all. Without one it is a short transaction of its own. Storing the
    same bytes again inserts nothing.
    """

    def __init__(self, database: Database, table: Table) -> None:
        self.database = database
        self.table = table
        insert = pg_insert if database.engine.dialect.name == "postgresql" else sqlite_insert
        self._insert = insert(table).on_conflict_do_nothing(index_elements=["key"])

    async def put(
        self, data: bytes, content_type: str, *, session: AsyncSession | None = None
    ) -> str:
        key = content_key(data)
        values = {
            "key": key,
            "content_type": content_type,
            "size": len(data),
            "data": data,
            "created_at": utcnow(),
        }
        if session is not None:
            await session.exec(self._insert, params=values)
        else:
            async with self.database.engine.begin() as connection:
                await connection.execute(self._insert, values)
        return key

    async def get(self, key: str, *, session: AsyncSession | None = None) -> bytes:
        found = await self._read(self.table.c.data, key, session)
        if found is None:
            raise BlobNotFoundError(key)
        return bytes(found)

    async def exists(self, key: str, *, session: AsyncSession | None = None) -> bool:
        return await self._read(self.table.c.key, key, session) is not None

    async def _read(self, column: Any, key: str, session: AsyncSession | None) -> Any:
        if not is_valid_key(key):
            return None
        query = select(column).where(self.table.c.key == key)
        if session is not None:
            return await session.scalar(query)
        async with self.database.engine.connect() as connection:
            return await connection.scalar(query)


def blob_store_from_url(
    url: str, *, database: Database | None = None, table: Table | None = None
) -> BlobStore:
    """The store a ``*_STORAGE_URL`` setting names.

    ``file:///abs/path`` or a plain path: :class:`LocalBlobStore`. ``database``: the service's
    own database (``database`` and its ``table`` of :func:`blob_table`).
    ``s3://bucket/prefix``: the documented extension point for S3-compatible storage; not
    implemented in this build.
    """
    if url == "database":
        if database is None or table is None:
            raise StorageConfigurationError("database storage needs the service's database")
        return DatabaseBlobStore(database, table)
    parts = urlsplit(url)
    if parts.scheme in ("", "file"):
        path = unquote(parts.path if parts.scheme else url)
        if not path:
            raise StorageConfigurationError(f"storage URL {url!r} has no path")
        return LocalBlobStore(Path(path))
    if parts.scheme == "s3":
        raise StorageConfigurationError(
            "S3-compatible storage (s3://bucket/prefix) is an extension point: implement the "
            "BlobStore protocol with an S3 client and register it in blob_store_from_url; this "
            "build stores attachments on local disk (file:///path) or in the service's own "
            "database (database)."
        )
    raise StorageConfigurationError(f"unsupported storage URL scheme {parts.scheme!r}")


@dataclass(frozen=True)
class UploadPolicy:
    allowed_types: frozenset[str] = DEFAULT_ALLOWED_TYPES
    max_bytes: int = DEFAULT_MAX_BYTES


def sniff_content_type(data: bytes) -> str | None:
    """The type the magic bytes say, among JPEG, PNG, WebP and PDF; None otherwise."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def validate_upload(
    data: bytes,
    declared_type: str | None = None,
    *,
    allowed_types: Collection[str] = DEFAULT_ALLOWED_TYPES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    field: str = "file",
) -> str:
    """Check an upload and return its real content type.

    Refuses an empty file or one over ``max_bytes`` (413), a type not allowed, or a declared
    ``Content-Type`` contradicting the bytes (422).
    """
    if not data:
        raise Unprocessable(
            "The file is empty.", errors=[FieldError(field=field, message="empty file")]
        )
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The file is larger than {max_bytes} bytes.")
    sniffed = sniff_content_type(data)
    if sniffed is None or sniffed not in allowed_types:
        allowed = ", ".join(sorted(allowed_types))
        raise Unprocessable(
            f"The file type is not allowed (allowed: {allowed}).",
            errors=[FieldError(field=field, message="file type not allowed")],
        )
    declared = (declared_type or "").split(";")[0].strip().lower()
    generic = {"", "application/octet-stream"}
    if declared not in generic and declared != sniffed:
        raise Unprocessable(
            f"The file is declared as {declared} but its content is {sniffed}.",
            errors=[FieldError(field=field, message="declared type does not match content")],
        )
    return sniffed
