"""The domain's closed vocabularies, stored as checked strings."""
from __future__ import annotations

import enum


class Role(str, enum.Enum):
    MANAGER = "manager"
    CENTRALISER = "centraliser"
    LEADER = "leader"
    COUNTER = "counter"
    AUDITOR = "auditor"


class CampaignStatus(str, enum.Enum):
    PLANNING = "planning"
    COUNTING = "counting"
    RECONCILING = "reconciling"
    CLOSED = "closed"


class Valuation(str, enum.Enum):
    BOOK = "book"
    WAC = "wac"
    FIFO = "fifo"
    LIFO = "lifo"


class Category(str, enum.Enum):
    RAW_MATERIALS = "raw_materials"
    OTHER_SUPPLIES = "other_supplies"
    WIP_GOODS = "wip_goods"
    WIP_SERVICES = "wip_services"
    PRODUCTS = "products"
    GOODS_FOR_RESALE = "goods_for_resale"


class Owner(str, enum.Enum):
    OWN = "own"
    THIRD_PARTY = "third_party"
    AT_THIRD_PARTY = "at_third_party"


class MovementKind(str, enum.Enum):
    OPENING = "opening"
    RECEIPT = "receipt"
    ISSUE = "issue"
    TRANSFER = "transfer"
    ADJUSTMENT = "adjustment"


class TicketStatus(str, enum.Enum):
    CREATED = "created"
    ISSUED = "issued"
    COUNTED_1 = "counted_1"
    COUNTED_2 = "counted_2"
    RECOUNT = "recount"
    FINAL = "final"
    VOIDED = "voided"


class PhysicalState(str, enum.Enum):
    GOOD = "good"
    DAMAGED = "damaged"
    OBSOLETE = "obsolete"
    EXPIRED = "expired"


class CountMethod(str, enum.Enum):
    COUNTED = "counted"
    WEIGHED = "weighed"
    MEASURED = "measured"
    ESTIMATED = "estimated"


class CountSource(str, enum.Enum):
    TABLET = "tablet"
    API = "api"
    IMPORT = "import"


# PCG accounts per category: stock (balance), variation, depreciation (DOMAIN.md, Accounts).
CATEGORY_ACCOUNTS: dict[Category, tuple[str, str, str]] = {
    Category.RAW_MATERIALS: ("31", "6031", "391"),
    Category.OTHER_SUPPLIES: ("32", "6032", "392"),
    Category.WIP_GOODS: ("33", "7133", "393"),
    Category.WIP_SERVICES: ("34", "7134", "394"),
    Category.PRODUCTS: ("35", "7135", "395"),
    Category.GOODS_FOR_RESALE: ("37", "6037", "397"),
}
