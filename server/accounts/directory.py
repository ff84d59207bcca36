"""Networks and institutions: the organisational directory."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db.models import Institution, Network
from server.errors import Conflict, InvalidInput, NotFound

__all__ = [
    "create_institution",
    "create_network",
    "get_institution",
    "get_network",
    "institution_by_slug",
    "list_institutions",
    "network_by_slug",
]

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def _check(slug: str, name: str) -> None:
    if not _SLUG.match(slug):
        raise InvalidInput("slug must be 1-64 lowercase letters, digits or inner hyphens")
    if not name.strip() or len(name) > 200:
        raise InvalidInput("name must be 1-200 characters")


async def create_network(session: AsyncSession, *, slug: str, name: str, now: datetime) -> Network:
    _check(slug, name)
    if await network_by_slug(session, slug=slug) is not None:
        raise Conflict(f"a network with slug {slug!r} exists")
    network = Network(slug=slug, name=name.strip(), created_at=now)
    session.add(network)
    await session.flush()
    return network


async def create_institution(
    session: AsyncSession, *, network_id: uuid.UUID, slug: str, name: str, now: datetime
) -> Institution:
    _check(slug, name)
    await get_network(session, network_id=network_id)
    if await institution_by_slug(session, slug=slug) is not None:
        raise Conflict(f"an institution with slug {slug!r} exists")
    institution = Institution(network_id=network_id, slug=slug, name=name.strip(), created_at=now)
    session.add(institution)
    await session.flush()
    return institution


async def get_network(session: AsyncSession, *, network_id: uuid.UUID) -> Network:
    network = await session.get(Network, network_id)
    if network is None:
        raise NotFound("no such network")
    return network


async def get_institution(session: AsyncSession, *, institution_id: uuid.UUID) -> Institution:
    institution = await session.get(Institution, institution_id)
    if institution is None:
        raise NotFound("no such institution")
    return institution


async def network_by_slug(session: AsyncSession, *, slug: str) -> Network | None:
    return (await session.exec(select(Network).where(Network.slug == slug))).first()


async def institution_by_slug(session: AsyncSession, *, slug: str) -> Institution | None:
    return (await session.exec(select(Institution).where(Institution.slug == slug))).first()


async def list_institutions(session: AsyncSession, *, network_id: uuid.UUID) -> list[Institution]:
    query = (
        select(Institution)
        .where(Institution.network_id == network_id)
        .order_by(col(Institution.name))
    )
    return list((await session.exec(query)).all())
