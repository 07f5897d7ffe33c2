"""The shared content-addressed blob store and upload validation."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from tests.support.databases import fresh_postgres_database
from zhdj_shared.db import Database
from zhdj_shared.errors import PayloadTooLarge, Unprocessable
from zhdj_shared.storage import (
    PDF,
    PNG,
    BlobNotFoundError,
    BlobStore,
    DatabaseBlobStore,
    LocalBlobStore,
    StorageConfigurationError,
    blob_store_from_url,
    blob_table,
    content_key,
    sniff_content_type,
    validate_upload,
)

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32
WEBP_BYTES = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 16
PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


async def test_put_returns_the_sha256_and_shards_the_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    key = await store.put(PNG_BYTES, PNG)
    assert key == hashlib.sha256(PNG_BYTES).hexdigest()
    assert (tmp_path / key[:2] / key[2:4] / key).read_bytes() == PNG_BYTES
    assert await store.exists(key)
    assert await store.get(key) == PNG_BYTES
    assert isinstance(store, BlobStore)


async def test_same_content_is_stored_once_and_leaves_no_temp_files(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    first = await store.put(PDF_BYTES, PDF)
    second = await store.put(PDF_BYTES, PDF)
    assert first == second
    assert _files(tmp_path) == [first]


def _files(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*") if p.is_file()]


async def test_unknown_and_crafted_keys_are_not_found(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    assert not await store.exists("0" * 64)
    assert not await store.exists("../../etc/passwd")
    with pytest.raises(BlobNotFoundError):
        await store.get("0" * 64)
    with pytest.raises(BlobNotFoundError):
        await store.get("../secret")


def test_factory_reads_file_urls_and_refuses_s3_clearly(tmp_path: Path) -> None:
    store = blob_store_from_url(f"file://{tmp_path}")
    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path
    assert isinstance(blob_store_from_url(str(tmp_path)), LocalBlobStore)
    with pytest.raises(StorageConfigurationError, match="extension point"):
        blob_store_from_url("s3://bucket/prefix")
    with pytest.raises(StorageConfigurationError):
        blob_store_from_url("ftp://host/x")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PNG_BYTES, "image/png"),
        (JPEG_BYTES, "image/jpeg"),
        (WEBP_BYTES, "image/webp"),
        (PDF_BYTES, "application/pdf"),
        (b"MZ\x90\x00 not an image", None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
    ],
)
def test_sniffing_uses_magic_bytes(data: bytes, expected: str | None) -> None:
    assert sniff_content_type(data) == expected


def test_validation_returns_the_sniffed_type() -> None:
    assert validate_upload(PNG_BYTES, "image/png") == PNG
    assert validate_upload(PNG_BYTES, None) == PNG
    assert validate_upload(PNG_BYTES, "application/octet-stream") == PNG


def test_validation_refuses_bad_uploads() -> None:
    with pytest.raises(Unprocessable):
        validate_upload(b"", "image/png")
    with pytest.raises(PayloadTooLarge):
        validate_upload(PNG_BYTES, "image/png", max_bytes=10)
    with pytest.raises(Unprocessable, match="not allowed"):
        validate_upload(b"#!/bin/sh\nrm -rf /", "image/png")
    with pytest.raises(Unprocessable, match="declared"):
        validate_upload(PNG_BYTES, "image/jpeg")
    with pytest.raises(Unprocessable, match="not allowed"):
        validate_upload(PDF_BYTES, "application/pdf", allowed_types={PNG})


@pytest.fixture
async def database_store(backend: str, tmp_path: Path) -> AsyncIterator[DatabaseBlobStore]:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'blobs.db'}"
    else:
        url = await fresh_postgres_database("zhdj_test_blobs")
    database = Database(url)
    metadata = MetaData()
    table = blob_table(metadata)
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    store = blob_store_from_url("database", database=database, table=table)
    assert isinstance(store, DatabaseBlobStore)
    yield store
    await database.dispose()


async def test_the_database_store_keeps_blobs_by_content(
    database_store: DatabaseBlobStore,
) -> None:
    """What replicas share: any of them reads what another wrote (one database)."""
    key = await database_store.put(PNG_BYTES, PNG)
    assert key == hashlib.sha256(PNG_BYTES).hexdigest()
    assert await database_store.put(PNG_BYTES, PNG) == key  # stored once
    assert await database_store.get(key) == PNG_BYTES
    assert await database_store.exists(key)
    assert isinstance(database_store, BlobStore)
    async with database_store.database.engine.connect() as connection:
        rows = (await connection.execute(select(database_store.table))).all()
    assert [(r.key, r.content_type, r.size) for r in rows] == [(key, PNG, len(PNG_BYTES))]
    for missing in ("0" * 64, "../../etc/passwd"):
        assert not await database_store.exists(missing)
        with pytest.raises(BlobNotFoundError):
            await database_store.get(missing)


async def test_a_put_in_a_session_commits_or_rolls_back_with_it(
    database_store: DatabaseBlobStore,
) -> None:
    """In the request's unit of work the blob and the record naming it are one transaction:
    a request that fails leaves no blob, and no second pooled connection is taken."""
    database = database_store.database
    with pytest.raises(RuntimeError):
        async for session in database.unit_of_work():
            key = await database_store.put(PDF_BYTES, PDF, session=session)
            assert await database_store.get(key, session=session) == PDF_BYTES
            raise RuntimeError("the record could not be stored")
    assert not await database_store.exists(content_key(PDF_BYTES))
    async for session in database.unit_of_work():
        key = await database_store.put(PDF_BYTES, PDF, session=session)
    assert await database_store.get(key) == PDF_BYTES


def test_database_storage_needs_the_services_database() -> None:
    with pytest.raises(StorageConfigurationError):
        blob_store_from_url("database")
