"""A small cycle-count programme in one call: ``make_programme()`` (stock, movements, classes, plan)."""
from __future__ import annotations

import datetime as dt

import pytest

STOCK = """reference,designation,unit,category,location,zone,site,book_qty,unit_cost,lot
A1,Big pump,pc,products,L-01,Z1,S1,10,500,
A1,Big pump,pc,products,L-02,Z1,S1,5,500,
B1,Valve,pc,raw_materials,L-01,Z1,S1,100,10,
C1,Screw,pc,raw_materials,L-03,Z2,S1,1000,0.05,
C2,Nut,pc,raw_materials,L-03,Z2,S1,2000,0.02,LOT1
T1,Held for a client,pc,goods_for_resale,L-09,Z2,S1,7,3,
"""
# T1 is a third party's (owner column added below): never in cycles.
MOVEMENTS = """date,reference,location,quantity,kind,unit_cost
2025-03-10,A1,L-01,-2,issue,
2025-03-12,B1,L-01,-20,issue,
2025-04-12,C1,L-03,-100,issue,
"""


def stock_text() -> str:
    lines = STOCK.strip().splitlines()
    out = [lines[0] + ",owner"] + [line + ",own" for line in lines[1:-1]] + [lines[-1] + ",third_party"]
    return "\n".join(out) + "\n"


@pytest.fixture
def files(tmp_path):
    stock = tmp_path / "stock.csv"
    stock.write_text(stock_text(), encoding="utf-8")
    movements = tmp_path / "movements.csv"
    movements.write_text(MOVEMENTS, encoding="utf-8")
    return stock, movements


@pytest.fixture
def people(app):
    """One user of each role the programme meets; they never log in here, so no password is hashed (slow)."""
    from countapp.extensions import db
    from countapp.models import Role, User

    made = {login: User(login=login, name=login.title(), role=Role(role), password_hash="!")
            for login, role in (("boss", "manager"), ("c1", "counter"), ("c2", "counter"), ("lead", "leader"),
                                ("office", "centraliser"), ("audit", "auditor"))}
    db.session.add_all(made.values())
    db.session.commit()
    return made


@pytest.fixture
def make_programme(app, files, people):
    from countapp.services import cycles

    def make(code="CC2025", year=2025, plan=True, campaign_code=None, settings=None):
        stock, movements = files
        cycles.create(code, year=year, campaign_code=campaign_code, by=people["boss"])
        if settings:
            cycles.configure(code, settings, by=people["boss"])
        cycles.import_stock(code, stock, as_of=dt.date(year, 1, 1), by=people["boss"])
        cycles.import_movements(code, movements, by=people["boss"])
        cycles.classify(code, by=people["boss"])
        if plan:
            cycles.plan(code, by=people["boss"])
        return cycles.get(code)

    return make
