"""Default English texts of the instructions' sections (same layout rules as texts_fr)."""
from __future__ import annotations

TITLES = {
    "person_in_charge": "Person in charge of the count",
    "dates_times": "Dates and times",
    "places": "Places to count",
    "scope": "Stock categories in scope",
    "teams": "Counting teams",
    "auditors": "Auditors' participation",
    "tidying": "Tidying up beforehand",
    "freeze": "Freeze of physical movements",
    "third_party_goods": "Goods belonging to third parties",
    "goods_elsewhere": "Own goods held by third parties or in transit",
    "tickets": "Count tickets",
    "physical_state": "Physical state of goods",
    "double_count": "Double count",
    "third_count": "Third count",
    "cutoff": "Cut-off",
    "centralisation": "Centralisation of tickets",
    "reconciliation": "Reconciliation with the perpetual inventory",
    "valuation": "Stock valuation",
    "depreciation": "Depreciation",
    "annual_report": "Annual inventory report",
}

BODIES = {
    "person_in_charge": """\
The management of {company} has appointed {person_in_charge} to run the physical stock count for fiscal year {fiscal_year}. The person in charge leads the count from start to finish: approves these instructions, assigns the work to the teams, settles any unforeseen question, and signs the final reconciliation and the annual inventory report.

Report any problem during the count (a place not on the list, an unknown item, a missing or damaged ticket, goods whose owner is unclear) to the person in charge at once, directly or through your team leader. No one departs from these instructions without the person in charge's agreement.""",

    "dates_times": """\
The physical count takes place {count_period}. The fiscal year closes on {closing_date}.

Each team keeps to the times given in the section "Counting teams". Report to your team leader on time, with a ballpoint pen (never a pencil), your badge and your safety equipment.

Movements between the count and the closing date are taken into account by the rule in the section "Cut-off".""",

    "places": """\
The places to count are listed below, site by site and zone by zone. The list holds every location known to the perpetual inventory, plus the places added by hand (marked with an asterisk): docks, receiving and shipping areas, workshops, outbuildings, vehicles, outdoor storage.

Forgetting a place is the most common failure of a stock count. Before the count, each team leader walks through their zones and reports to the person in charge any place holding stock that is not on the list; it is added and given to a team before counting starts. On the day, a place nobody planned for is counted on a blank ticket and reported at once.""",

    "scope": """\
The count covers the stock categories listed below, with their stock accounts. Every item in these categories is counted, whatever its location, condition or value, including downgraded items and customer returns awaiting processing.

Items of a category not listed are not counted. If you are unsure of an item's category, your team leader asks the person in charge before leaving it aside.""",

    "teams": """\
Counting is done by numbered teams. Each team has a leader, who answers for its work, and counts in one round only: first-count and second-count teams are different, and nobody counts the same zone twice.

The table below gives each team's round, leader, members, zones and times. Every zone is given to one team for the first count and to another team for the second count.

Storekeepers do not count the stock in their care: they stay available to guide the teams and answer their questions, without taking part in the count.""",

    "auditors": """\
The auditors listed below are invited to review these instructions before they are issued and to attend the count. They may observe every step, make their own test counts, check ticket control and note the numbers of the last receiving and shipping documents.

Auditors observe and check: they never fill in or change a ticket, and their test counts are kept apart from the teams' counts. Teams answer their questions and show them any ticket or document they ask for.""",

    "tidying": """\
Before count day, every zone is tidied: identical items grouped in one place, opened cartons closed or clearly set apart, labels readable, aisles clear. Damaged, expired or scrap items are set apart and marked, but they stay in the count.

Goods belonging to third parties are physically separated and marked with a sign: "Third-party goods: count separately".

During the count, stock that has been counted carries its ticket and is not moved again: this is what prevents counting it twice or missing it.""",

    "freeze": """\
No physical movement of stock takes place {freeze_period}: no receipts, no shipments, no issues to production and no transfers between locations. Stock can only be counted well when it stands still.

Purchasing, sales and production plan around the freeze: supplier deliveries rescheduled, shipments brought forward or postponed, production stopped or supplied in advance. A delivery that still arrives during the freeze is unloaded in a separate area, is not counted, and is recorded only after the count ends; the person in charge is told.

Any urgent issue during the freeze needs the written agreement of the person in charge, who records it with the ticket number concerned.""",

    "third_party_goods": """\
Some goods on our sites do not belong to us: goods on deposit or consignment, materials received for repair or subcontracted work, sold goods not yet collected by the customer. They are stored apart, counted on separate tickets and excluded from the company's stock; they are never valued.

Lines of this kind in the perpetual inventory: {third_party_lines}, shown below by owner. The counted quantities are checked against the owners' documents; any difference is reported to the person in charge.""",

    "goods_elsewhere": """\
Goods that belong to the company but are held by third parties (depositaries, subcontractors, outside warehouses, customers on consignment) or are in transit are not counted on site. They enter closing stock from the holders' written confirmations, drawn up at the count date.

Accounting sends the confirmation requests before the count and follows up the answers. A confirmation that is missing or disagrees with the books is reported to the person in charge before the accounts are closed. Lines of this kind in the perpetual inventory: {goods_elsewhere_lines}, shown below by holder.""",

    "tickets": """\
Each ticket carries a sequence number and the fiscal year, for example "Ticket n° 000123/{fiscal_year}". Pre-referenced tickets already show the item, location and unit; blank tickets are filled in by the first team. Each ticket has three detachable parts:
- the stub (number and reference), which stays stuck on the goods after both counts;
- the second-count part, filled in and detached by the second team;
- the first-count part, filled in and detached by the first team.

Team leaders sign for a numbered range of tickets. Stick the ticket where it can be seen on the stock, at the moment you count it. On your part, write in ink your team number, the quantity counted in the ticket's unit, the physical state, the date and the name of the person responsible for the count. Correct a mistake by striking it through once, writing the right figure beside it and initialling it; correction fluid is not allowed.

Hand detached parts to centralisation at the end of each zone; never leave them on site. At the end of the count, each team leader returns all unused tickets.

No ticket is ever destroyed, even a cancelled one. A damaged or wrongly filled ticket is voided: write "VOID" and the reason across all three parts and hand it to centralisation, which records it. At the end, every number issued must be accounted for: used, voided or returned.""",

    "physical_state": """\
When counting, the team records the physical state of the stock on its part, using this scale:
- good: the item can be sold or used as it is;
- damaged: the item or its packaging is damaged; it can only be sold or used after repair or at a reduced price;
- obsolete: the item has no use or market any more (discontinued model, spare part for equipment no longer in service);
- expired: its use-by or expiry date has passed.

When one location holds items in good condition alongside damaged, obsolete or expired ones, the team separates them and counts each part on its own ticket (a blank ticket for the downgraded part). The recorded state is used to compute depreciation.""",

    "double_count": """\
Every stock is counted twice, by two different teams, independently:
- the first team counts, fills in the first-count part and hands it to centralisation;
- the second team then counts without knowing the first count or the book quantity, fills in the second-count part and hands it in as well.

Teams count what they see, item by item, in the ticket's unit, opening any carton whose content is uncertain. They never copy a quantity from a label, a delivery note or another ticket.

The two counts agree when their difference stays within the campaign's tolerances (significance threshold: {tolerance_between_counts}; the percentage is taken on the higher of the two counts). The second count is then kept. The table below sums up the tolerances.""",

    "third_count": """\
A third count is made in two cases:
- the first two counts differ significantly (threshold: {tolerance_between_counts});
- the agreed count differs significantly from the book stock of the perpetual inventory (threshold: {tolerance_vs_book}; the percentage is taken on the book quantity).

Some categories may have their own tolerances; they are shown in the tolerance table of the section "Double count".

The third count is made jointly by the leaders of the two teams concerned, under the direction of {centraliser}, in charge of centralisation. It takes place as soon as the difference is known, before the freeze is lifted. Its result, signed by all three, is final: it is the quantity kept for the inventory.""",

    "cutoff": """\
The counted stock must match the perpetual inventory as it stands at the count date, {count_date}. The rule is: goods received and recorded on or before that date are part of the counted stock; goods shipped and recorded on or before that date are no longer part of it.

Last receiving document recorded before the count: {last_receipt_document}. Last shipping document issued before the count: {last_shipment_document}. Accounting notes these numbers when movements stop; any later document can only relate to movements after the count.

Movements after the count and up to the closing date, {closing_date}, are taken from the perpetual inventory: receipts are added to the counted stock and issues are taken off, so that the stock kept is the stock at the closing date.""",

    "centralisation": """\
Count parts are centralised by {centraliser} as team leaders hand them in. Centralisation checks that each part is complete and readable (team number, quantity, unit, state, date, name), enters the quantities and keeps the list of tickets issued, used, voided and returned up to date.

It reports missing parts, duplicate numbers and significant differences at once, and organises third counts. At the end, it performs the ticket control: every number of every range issued is accounted for, and any missing number is searched for and mentioned in the annual report.

The paper parts are kept with the inventory records, available to the auditors.""",

    "reconciliation": """\
Once counting is over, the quantities kept are reconciled with the book stock of the perpetual inventory, item by item and location by location. For each line, the difference is computed in quantity and in value.

Every difference left after any third count is given a cause: delivery not invoiced or not recorded, supplier error, unit-of-measure error, item stored in the wrong location, breakage, theft or unknown shrinkage, counting or keying error. Unexplained differences go to the person in charge.

The perpetual inventory is corrected only after the person in charge has approved the reconciliation; each correction is documented and kept for the auditors.""",

    "valuation": """\
Valuation method: {valuation_method}.

Raw materials and goods for resale are valued at purchase cost (purchase price plus incidental costs: freight, customs duties, handling); finished goods and work in progress at production cost. Stock is never valued at selling price.

The method is applied to each item's closing quantity, over all its locations, from the opening stock and the year's receipts. Accounting checks the calculations on a sample basis before the accounts are closed; the auditors may re-perform them.""",

    "depreciation": """\
Depreciation is recorded when the value of stock falls below its cost: damaged, obsolete or expired items, slow-moving items, or a market price below cost.

The rates set for the campaign apply to the line's gross value: damaged {depreciation_damaged}, obsolete {depreciation_obsolete}, expired {depreciation_expired}, slow-moving {depreciation_slow_moving} (no movement for {slow_moving_days} days or more). {market_price_rule} When several rules apply to the same line, only the largest depreciation is kept.

Last year's depreciation is reversed and the new one recorded; the detail by category is given in the annual inventory report.""",

    "annual_report": """\
When the count is over, the person in charge writes the annual inventory report. It sets out:
- what was planned and what actually happened;
- the difficulties met and the solutions adopted;
- proposals to make the next counts easier and better.

The report comes with the campaign's figures: ticket control, count statistics, differences and third counts, reconciliation with the perpetual inventory, valuation (gross value, depreciation and net value by category) and accounting entries. It is handed to management and to the auditors.""",
}
