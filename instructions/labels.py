"""Short texts of the instructions document other than the sections: labels, names, notes."""
from __future__ import annotations

from .formatting import french_spacing

CATEGORIES = {  # code -> (account, French name, English name)
    "raw_materials": ("31", "Matières premières et fournitures", "Raw materials and supplies"),
    "other_supplies": ("32", "Autres approvisionnements (consommables, emballages)",
                       "Other supplies (consumables, packaging)"),
    "wip_goods": ("33", "En-cours de production de biens", "Work in progress, goods"),
    "wip_services": ("34", "En-cours de production de services", "Work in progress, services"),
    "products": ("35", "Produits intermédiaires, finis et résiduels",
                 "Products (intermediate, finished, waste)"),
    "goods_for_resale": ("37", "Marchandises", "Goods for resale"),
}
_ACCOUNT_TO_CODE = {v[0]: k for k, v in CATEGORIES.items()}

AUDITOR_KINDS = {
    "fr": {"internal_audit": "Audit interne", "chartered_accountant": "Expert-comptable",
           "statutory_auditor": "Commissaire aux comptes"},
    "en": {"internal_audit": "Internal audit", "chartered_accountant": "Chartered accountant",
           "statutory_auditor": "Statutory auditor"},
}

VALUATION = {
    "fr": {"book": "coût unitaire de l’inventaire permanent",
           "wac": "coût moyen pondéré (CMP)",
           "fifo": "premier entré, premier sorti (PEPS, ou FIFO)",
           "lifo": "dernier entré, premier sorti (DEPS, ou LIFO)"},
    "en": {"book": "book unit cost from the perpetual inventory",
           "wac": "weighted average cost (WAC)",
           "fifo": "first in, first out (FIFO)",
           "lifo": "last in, first out (LIFO)"},
}

LIFO_WARNING = {
    "fr": "Attention\u202f: la méthode «\u202fdernier entré, premier sorti\u202f» n’est admise ni par les normes "
          "IFRS ni par l’administration fiscale française. Son emploi doit être justifié et "
          "validé avec l’expert-comptable et le commissaire aux comptes.",
    "en": "Warning: the last in, first out method is not allowed under IFRS nor by the French tax "
          "rules. Its use must be justified and agreed with the chartered accountant and the "
          "statutory auditor.",
}

MARKET_PRICE_RULE = {
    "fr": {True: "Lorsque le prix du marché est inférieur au coût, le stock est en outre ramené à ce prix.",
           False: "Le prix du marché n’est pas pris en compte."},
    "en": {True: "When the market price is below cost, the stock is also written down to that price.",
           False: "The market price is not taken into account."},
}

STATES = {
    "fr": {"damaged": "Abîmé", "obsolete": "Obsolète", "expired": "Périmé",
           "slow_moving": "Rotation lente"},
    "en": {"damaged": "Damaged", "obsolete": "Obsolete", "expired": "Expired",
           "slow_moving": "Slow-moving"},
}

LABELS = {
    "fr": {
        "title": "Instructions d’inventaire physique",
        "campaign": "Campagne", "fiscal_year": "Exercice", "company": "Société",
        "issued": "Version %(version)s, diffusée le %(date)s",
        "issued_no_version": "Diffusée le %(date)s",
        "draft": "BROUILLON",
        "draft_note": "Projet non diffusé, édité le %(date)s",
        "draft_header": "BROUILLON\u202f: projet non diffusé, édité le %(date)s",
        "draft_version": "Projet de la version %(version)s",
        "contents": "Sommaire",
        "missing_title": "Éléments encore manquants",
        "missing_intro": "Ces instructions ne peuvent pas être diffusées tant que les points suivants ne sont pas réglés\u202f:",
        "missing_none": "Aucun élément ne manque\u202f: le document peut être diffusé.",
        "page": "Page %(page)s sur %(pages)s",
        "committee": "Comité d’inventaire\u202f: %(names)s.",
        "site": "Site", "zone": "Zone", "location": "Emplacement",
        "team_round1": "Équipe 1er comptage", "team_round2": "Équipe 2e comptage",
        "by_hand_note": "* lieu ajouté à la main (absent de l’inventaire permanent).",
        "place_count": "Emplacements\u202f: %(places)s\u202f; zones\u202f: %(zones)s\u202f; sites\u202f: %(sites)s.",
        "no_places": "Aucun lieu n’est encore listé.",
        "team": "Équipe", "round": "Comptage", "leader": "Chef d’équipe", "members": "Membres",
        "zones": "Zones", "times": "Horaires",
        "committee_member": "Comité d’inventaire", "centralisation": "Centralisation",
        "round_1": "1er comptage", "round_2": "2e comptage",
        "no_teams": "Aucune équipe n’est encore constituée.",
        "account": "Compte", "category": "Catégorie",
        "no_categories": "Aucune catégorie n’est encore retenue.",
        "auditor_kind": "Fonction", "name": "Nom", "firm": "Cabinet",
        "no_auditors": "Aucun auditeur n’est encore désigné.",
        "owner": "Propriétaire", "holder": "Détenteur", "lines": "Lignes",
        "confirmation": "Confirmation reçue le",
        "party_unknown": "(non précisé dans le fichier de stock)",
        "none_listed": "Aucune ligne dans l’inventaire permanent.",
        "tolerance": "Tolérance", "qty": "Quantité", "pct": "Pourcentage", "value": "Valeur",
        "between_counts": "Entre 1er et 2e comptage", "vs_book": "Comptage retenu / stock théorique",
        "tolerance_note": "—\u202f: seuil non fixé. Sans aucun seuil, tout écart est significatif\u202f; un écart est significatif dès qu’il dépasse l’un des seuils fixés.",
        "rate": "Taux", "rule": "Règle", "slow_moving_days": "Rotation lente à partir de",
        "days": "%(days)s jours", "market_price": "Ramené au prix du marché s’il est inférieur au coût",
        "yes": "oui", "no": "non",
        "fact": "Élément", "when": "Date et heure",
        "count_date": "Date du comptage", "count_start": "Début des opérations",
        "count_date_of": "Date du comptage – %(place)s",
        "count_after_closing": ("Le comptage a lieu après la date de clôture : les mouvements intervenus entre la "
                                "clôture et le comptage seront retranchés pour revenir aux quantités à la clôture."),
        "count_end": "Fin des opérations", "closing_date": "Date de clôture",
        "freeze_from": "Arrêt des mouvements à partir du", "freeze_to": "Reprise des mouvements le",
        "signatures": "Approbation et prise de connaissance",
        "approved_by": "Instructions approuvées par le responsable de l’inventaire\u202f:",
        "date_signature": "Date et signature",
        "acknowledge": "Les personnes ci-dessous déclarent avoir reçu et lu les présentes instructions\u202f:",
        "role": "Fonction", "signature": "Signature", "date": "Date",
        "leader_of": "Chef de l’équipe %(team)s",
    },
    "en": {
        "title": "Physical stock count instructions",
        "campaign": "Campaign", "fiscal_year": "Fiscal year", "company": "Company",
        "issued": "Version %(version)s, issued on %(date)s",
        "issued_no_version": "Issued on %(date)s",
        "draft": "DRAFT",
        "draft_note": "Draft, not issued, printed on %(date)s",
        "draft_header": "DRAFT: not issued, printed on %(date)s",
        "draft_version": "Draft of version %(version)s",
        "contents": "Contents",
        "missing_title": "What is still missing",
        "missing_intro": "These instructions cannot be issued until the following points are settled:",
        "missing_none": "Nothing is missing: the document can be issued.",
        "page": "Page %(page)s of %(pages)s",
        "committee": "Count committee: %(names)s.",
        "site": "Site", "zone": "Zone", "location": "Location",
        "team_round1": "1st count team", "team_round2": "2nd count team",
        "by_hand_note": "* place added by hand (not in the perpetual inventory).",
        "place_count": "Locations: %(places)s; zones: %(zones)s; sites: %(sites)s.",
        "no_places": "No place is listed yet.",
        "team": "Team", "round": "Round", "leader": "Leader", "members": "Members",
        "zones": "Zones", "times": "Times",
        "committee_member": "Count committee", "centralisation": "Centralisation",
        "round_1": "1st count", "round_2": "2nd count",
        "no_teams": "No team has been formed yet.",
        "account": "Account", "category": "Category",
        "no_categories": "No category has been chosen yet.",
        "auditor_kind": "Role", "name": "Name", "firm": "Firm",
        "no_auditors": "No auditor has been named yet.",
        "owner": "Owner", "holder": "Holder", "lines": "Lines",
        "confirmation": "Confirmation received on",
        "party_unknown": "(not named in the stock file)",
        "none_listed": "No line in the perpetual inventory.",
        "tolerance": "Tolerance", "qty": "Quantity", "pct": "Percent", "value": "Value",
        "between_counts": "1st count vs 2nd count", "vs_book": "Agreed count vs book stock",
        "tolerance_note": "—: threshold not set. With no threshold set, any difference is significant; a difference is significant as soon as it exceeds any threshold that is set.",
        "rate": "Rate", "rule": "Rule", "slow_moving_days": "Slow-moving after",
        "days": "%(days)s days", "market_price": "Written down to market price when below cost",
        "yes": "yes", "no": "no",
        "fact": "Item", "when": "Date and time",
        "count_date": "Count date", "count_start": "Counting starts",
        "count_date_of": "Count date – %(place)s",
        "count_after_closing": ("The count takes place after the closing date: the movements between the closing "
                                "date and the count will be taken back out to reach the quantities at closing."),
        "count_end": "Counting ends", "closing_date": "Closing date",
        "freeze_from": "Movements stop on", "freeze_to": "Movements resume on",
        "signatures": "Approval and acknowledgement",
        "approved_by": "Instructions approved by the person in charge of the count:",
        "date_signature": "Date and signature",
        "acknowledge": "The people below confirm they have received and read these instructions:",
        "role": "Role", "signature": "Signature", "date": "Date",
        "leader_of": "Leader of team %(team)s",
    },
}

# French typography (non-breaking space before ":" and inside « ») applied once, here.
LABELS["fr"] = {k: french_spacing(v) for k, v in LABELS["fr"].items()}
LIFO_WARNING["fr"] = french_spacing(LIFO_WARNING["fr"])


def category_row(code: str, lang: str) -> tuple[str, str]:
    """(account, name) of a category code or account number; unknown codes are shown as given."""
    code = _ACCOUNT_TO_CODE.get(str(code).strip(), str(code).strip())
    if code in CATEGORIES:
        account, fr, en = CATEGORIES[code]
        return account, fr if lang == "fr" else en
    return "", code


def category_code(code: str) -> str:
    """The category's code for a code or an account number."""
    return _ACCOUNT_TO_CODE.get(str(code).strip(), str(code).strip())
