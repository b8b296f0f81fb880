"""Typed SQLAlchemy models, one module per part of the domain."""
from .audit import AuditEvent
from . import audit_work  # noqa: F401  (the auditor's own work: samples, audit round, confirmations)
from .campaigns import Campaign, OpeningBalance
from .counts import Count
from .cycles import CycleAdjustment, CycleCount, CycleItem, CycleLine, CycleMovement, CyclePlan, CycleProgramme
from .decisions import RecountSheet, TicketDecision, recount_sheet_ticket
from .documents import (CampaignText, InstructionsAck, InstructionsDraft, InstructionsVersion, LineCause,
                        ReportArchive, SignOff)
from .jobs import Job, JobFile
from .enums import (
    CATEGORY_ACCOUNTS,
    CampaignStatus,
    Category,
    CountMethod,
    CountSource,
    MovementKind,
    Owner,
    PhysicalState,
    Role,
    TicketStatus,
    Valuation,
)
from .stock import BookLine, Item, Location, Movement, Site, Zone, zone_storekeeper
from .teams import Team, team_member, team_zone
from .tickets import Ticket, TicketRange, TicketReturn, TicketVoid
from .users import SessionUser, User

__all__ = [
    "AuditEvent", "BookLine", "CampaignText", "InstructionsAck", "InstructionsDraft", "InstructionsVersion", "Job", "JobFile",
    "LineCause", "RecountSheet", "ReportArchive", "SignOff", "TicketDecision", "recount_sheet_ticket", "CATEGORY_ACCOUNTS", "Campaign", "CampaignStatus", "Category", "Count",
    "CountMethod", "CountSource", "CycleAdjustment", "CycleCount", "CycleItem", "CycleLine", "CycleMovement",
    "CyclePlan", "CycleProgramme", "Item", "Location", "Movement", "MovementKind", "OpeningBalance", "Owner",
    "PhysicalState", "Role", "Site", "Team", "Ticket", "TicketRange", "TicketReturn", "TicketStatus",
    "SessionUser", "TicketVoid", "User", "Valuation", "Zone", "team_member", "team_zone", "zone_storekeeper",
]
