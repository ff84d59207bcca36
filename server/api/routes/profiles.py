"""Profiles, supporter availability, and the specialty picker."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from matching.taxonomy import load_taxonomy
from server.accounts.roles import Role
from server.api.deps import CurrentAccount, Now, RequireRole, SessionDep, declares
from server.api.schemas import (
    AvailabilityIn,
    ProfileIn,
    ProfileOut,
    SpecialtyOut,
    SupporterProfileIn,
    SupporterProfileOut,
)
from server.api.views import profile_view, supporter_profile_view
from server.db.models import Account
from server.support import profiles

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["profiles"])
Member = Annotated[Account, Depends(RequireRole(Role.CLINICIAN, Role.SUPPORTER))]
Supporter = Annotated[Account, Depends(RequireRole(Role.SUPPORTER))]


@router.get("/specialties", summary="Selectable specialty codes, for a picker")
async def specialties(_account: CurrentAccount) -> list[SpecialtyOut]:
    return [
        SpecialtyOut(code=e.code, label=e.label, path=list(e.path))
        for e in load_taxonomy().picker()
    ]


@router.get("/profile", summary="The caller's profile")
@declares(404)
async def get_profile(account: Member, session: SessionDep) -> ProfileOut:
    return profile_view(await profiles.get_profile(session, account_id=account.id))


@router.put("/profile", summary="Set the caller's profile (specialty, experience, languages…)")
async def put_profile(
    body: ProfileIn, account: Member, session: SessionDep, now: Now
) -> ProfileOut:
    profile = await profiles.set_profile(
        session,
        account=account,
        specialty=body.specialty,
        years_experience=body.years_experience,
        career_stage=body.career_stage,
        languages=body.languages,
        time_zone=body.time_zone,
        now=now,
    )
    view = profile_view(profile)
    await session.commit()
    return view


@router.get("/supporter-profile", summary="The supporter's expertise, caps and availability")
@declares(404)
async def get_supporter_profile(account: Supporter, session: SessionDep) -> SupporterProfileOut:
    found = await profiles.get_supporter_profile(session, account_id=account.id)
    return supporter_profile_view(found)


@router.put("/supporter-profile", summary="Set expertise, caps and availability")
@declares(409)
async def put_supporter_profile(
    body: SupporterProfileIn, account: Supporter, session: SessionDep, now: Now
) -> SupporterProfileOut:
    found = await profiles.set_supporter_profile(
        session,
        account=account,
        topic_expertise=body.topic_expertise,
        concurrent_cap=body.concurrent_cap,
        weekly_cap=body.weekly_cap,
        available=body.available,
        daily_hours=[(w.start, w.end) for w in body.daily_hours],
        now=now,
    )
    view = supporter_profile_view(found)
    await session.commit()
    return view


@router.put("/supporter-profile/availability", summary="Toggle available / away")
@declares(404)
async def put_availability(
    body: AvailabilityIn, account: Supporter, session: SessionDep, now: Now
) -> SupporterProfileOut:
    found = await profiles.set_availability(
        session, account=account, available=body.available, now=now
    )
    view = supporter_profile_view(found)
    await session.commit()
    return view
