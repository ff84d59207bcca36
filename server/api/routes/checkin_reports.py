"""What an institution's admins see of the check-ins: team scores (team-level, with the
formula) and the monthly aggregate view. Nothing here is per person (docs/checkins.md)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import col, func, select

from server.accounts.invites import authorise_for_institution
from server.accounts.roles import Role
from server.api.deps import Now, RequireRole, SessionDep, StateDep
from server.api.schemas_checkins import (
    CountOut,
    FormulaOut,
    MonthOut,
    SignalScoreOut,
    SummaryOut,
    TeamScoreOut,
    TeamScoresOut,
)
from server.checkins import aggregates, teams
from server.db.models import Account, TeamSignal

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["check-ins"])
Admin = Annotated[Account, Depends(RequireRole(Role.INSTITUTION_ADMIN, Role.NETWORK_ADMIN))]


@router.get(
    "/institutions/{institution_id}/team-scores",
    summary="Team scores of a week (default: the latest posted), with the formula",
)
async def team_scores(
    institution_id: uuid.UUID,
    admin: Admin,
    session: SessionDep,
    state: StateDep,
    week: Annotated[date | None, Query(description="The Monday of the week")] = None,
) -> TeamScoresOut:
    await authorise_for_institution(session, actor=admin, institution_id=institution_id)
    if week is None:
        week = (await session.exec(
            select(func.max(col(TeamSignal.week))).where(
                TeamSignal.institution_id == institution_id
            )
        )).one()  # fmt: skip
    scored = (
        await teams.scores_for(
            session, institution_id=institution_id, week=week, settings=state.settings
        )
        if week is not None
        else []
    )
    return TeamScoresOut(
        week=week,
        formula=FormulaOut(**teams.formula(state.settings)),
        teams=[
            TeamScoreOut(
                team=team.team,
                score=team.score,
                flagged=team.flagged,
                signals={name: SignalScoreOut(**vars(s)) for name, s in team.signals.items()},
            )
            for team in scored
        ],
    )


@router.get(
    "/institutions/{institution_id}/checkins/summary",
    summary="Monthly aggregates of the last 12 completed months, each count below k suppressed",
)
async def summary(
    institution_id: uuid.UUID, admin: Admin, session: SessionDep, state: StateDep, now: Now
) -> SummaryOut:
    await authorise_for_institution(session, actor=admin, institution_id=institution_id)
    k = state.settings.aggregate_min_count
    months = await aggregates.monthly_summary(session, institution_id=institution_id, now=now, k=k)
    return SummaryOut(
        institution_id=institution_id,
        k=k,
        months=[
            MonthOut(
                month=month.month,
                **{name: CountOut(**vars(count)) for name, count in month.counts.items()},
            )
            for month in months
        ],
    )
