"""The columns of each import file, under the names ERPs and people give them, in French or English.

Pure: no Flask, no database. One ``Column`` per field of a kind (stock, movements, opening,
counts): its code (``book_qty``), whether it is required, its French header (``Quantité
théorique``), the other names it goes by, what it means and which values it takes (texts
marked for translation, translated by the caller). ``resolve`` finds each column among a file's
headers; ``fold`` is how names and coded values are compared: case, accents, spaces,
apostrophes and punctuation do not count (``Qté théorique`` is ``qte_theorique``).

The coded values (categories, owners, states, movement kinds, methods) are read the same way:
code, French or English label, or a common variant (``abîmé``, ``Endommagé``, ``damaged``).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tickets.errors import N_

KINDS = ("stock", "movements", "opening", "counts")

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: object) -> str:
    """A name or value as compared: no accents, lower case, words joined by ``_``."""
    if text is None:
        return ""
    s = str(text)
    if s.isascii():
        s = s.lower()
    else:
        s = unicodedata.normalize("NFKD", s.translate(_LIGATURES))
        s = "".join(c for c in s if not unicodedata.combining(c)).casefold()
    return _NOT_WORD.sub("_", s).strip("_")


@dataclass(frozen=True)
class Column:
    """One field of an import file."""

    name: str                     # the code, as in SPEC.md (``book_qty``)
    required: bool
    french: str                   # the header of a French template
    help: str                     # what it holds (marked for translation)
    values: str | None = None     # the values it accepts (marked for translation)
    aliases: tuple[str, ...] = ()  # other names, any language, any case or accents


def _c(name, required, french, help, values=None, *aliases):
    return Column(name, required, french, help, values, tuple(aliases))


V_NUMBER = N_("a number: 1234.5, 1 234,5 or 1.234,5")
V_DATE = N_("a date: 31/12/2025 or 2025-12-31")
V_CATEGORY = N_("raw_materials (31), other_supplies (32), wip_goods (33), wip_services (34), products (35), "
                "goods_for_resale (37): the code, the French label (Matières premières, Autres "
                "approvisionnements, En-cours de production de biens, En-cours de production de services, "
                "Produits, Marchandises) or the account number")
V_OWNER = N_("own (default; propre), third_party (held for others; tiers), at_third_party (ours, held "
             "elsewhere or in transit; chez un tiers, en dépôt)")
V_KIND = N_("opening (ouverture), receipt (entrée, réception), issue (sortie), transfer (transfert), "
            "adjustment (ajustement); by default from the sign of the quantity")
V_STATE = N_("good (bon, default), damaged (abîmé, endommagé), obsolete (obsolète), expired (périmé)")
V_METHOD = N_("counted (compté, default), weighed (pesé), measured (mesuré), estimated (estimé)")

COLUMNS: dict[str, tuple[Column, ...]] = {
    "stock": (
        _c("reference", True, "Référence", N_("the item's code"), None,
           "ref", "réf", "code article", "article", "code", "référence article", "item", "item code", "sku"),
        _c("designation", True, "Désignation", N_("the item's name"), None,
           "libellé", "libellé article", "description", "name", "item name"),
        _c("unit", True, "Unité", N_("the unit counted in: pc, kg, m, l…"), None,
           "u", "udm", "unité de mesure", "unité de stock", "uom", "unit of measure"),
        _c("category", True, "Catégorie", N_("the stock category"), V_CATEGORY,
           "catégorie de stock", "compte", "compte de stock", "account"),
        _c("location", True, "Emplacement", N_("where the stock lies: the place counted"), None,
           "empl", "empl.", "adresse", "bin", "storage location"),
        _c("book_qty", True, "Quantité théorique", N_("the book quantity at the count date"), V_NUMBER,
           "stock théorique", "qté théorique", "qte theorique", "quantité", "qté", "quantité comptable",
           "stock", "quantité en stock", "book quantity", "qty", "quantity"),
        _c("unit_cost", True, "Coût unitaire", N_("the book unit cost"), V_NUMBER,
           "prix unitaire", "cump", "pmp", "coût", "coût moyen", "prix de revient unitaire", "cost", "unit price"),
        _c("lot", False, "Lot", N_("the lot or batch number, when the item is followed by lot"), None,
           "n° lot", "numéro de lot", "no lot", "batch"),
        _c("zone", False, "Zone", N_("the counting zone the location belongs to"), None, "secteur", "area"),
        _c("site", False, "Site", N_("the site or warehouse"), None, "dépôt", "magasin", "entrepôt", "warehouse"),
        _c("owner", False, "Propriétaire", N_("whose stock it is"), V_OWNER, "propriété", "ownership"),
        _c("last_movement_date", False, "Dernier mouvement", N_("the date of the item's last movement"), V_DATE,
           "date dernier mouvement", "date du dernier mouvement", "date de dernier mouvement", "last movement"),
        _c("market_price", False, "Prix de marché", N_("the current unit price, to value depreciation"), V_NUMBER,
           "valeur de marché", "prix du marché", "valeur vénale", "market value"),
        _c("holder", False, "Détenteur", N_("who holds the stock, when it is not on our site"), None,
           "tiers détenteur", "dépositaire"),
    ),
    "movements": (
        _c("date", True, "Date", N_("the movement's date"), V_DATE, "date du mouvement", "date mouvement",
           "date comptable", "movement date"),
        _c("reference", True, "Référence", N_("the item's code"), None,
           "ref", "réf", "code article", "article", "code", "item", "item code", "sku"),
        _c("location", True, "Emplacement", N_("the location moved from or to"), None, "empl", "adresse", "bin"),
        _c("quantity", True, "Quantité", N_("signed: + in, − out"), V_NUMBER, "qté", "qte", "qty"),
        _c("unit_cost", False, "Coût unitaire", N_("the unit cost (required for receipts and opening lines)"),
           V_NUMBER, "prix unitaire", "cump", "pmp", "coût", "cost", "unit price"),
        _c("lot", False, "Lot", N_("the lot or batch number"), None, "n° lot", "numéro de lot", "batch"),
        _c("kind", False, "Nature", N_("what the movement is"), V_KIND,
           "type", "type de mouvement", "nature du mouvement", "sens", "movement type"),
        _c("document", False, "Pièce", N_("the voucher: delivery note, invoice, order"), None,
           "document", "n° pièce", "numéro de pièce", "bon", "voucher"),
    ),
    "opening": (
        _c("category", True, "Catégorie", N_("the stock category"), V_CATEGORY, "compte", "compte de stock",
           "account"),
        _c("opening_value", True, "Valeur d'ouverture", N_("last year's closing gross value"), V_NUMBER,
           "valeur brute d'ouverture", "valeur initiale", "stock initial", "valeur brute", "opening"),
        _c("opening_depreciation", False, "Dépréciation d'ouverture", N_("last year's closing depreciation"),
           V_NUMBER, "dépréciation", "provision", "provision d'ouverture", "depreciation"),
        _c("purchases", False, "Achats", N_("the year's purchases of the category"), V_NUMBER,
           "achats de l'exercice", "achats de l'année"),
    ),
    "counts": (
        _c("ticket", True, "Ticket", N_("the ticket number as printed (000123/2025) or its sequence (123)"), None,
           "n° ticket", "numéro de ticket", "fiche", "n° fiche", "numéro de fiche", "étiquette", "n° étiquette"),
        _c("round", True, "Comptage", N_("the count: 1, 2 or 3"), None, "tour", "passage", "n° comptage", "count"),
        _c("quantity", True, "Quantité", N_("the quantity counted"), V_NUMBER, "qté", "qte", "quantité comptée",
           "qté comptée", "qty", "counted quantity"),
        _c("state", False, "État", N_("the state of the goods"), V_STATE, "état du stock", "condition"),
        _c("team", False, "Équipe", N_("the team number written on the part"), None, "n° équipe"),
        _c("counted_by", False, "Compté par", N_("who counted"), None, "compteur", "compteurs", "counter"),
        _c("counted_at", False, "Compté le", N_("when it was counted"), N_("a date and time: 31/12/2025 14:30"),
           "date du comptage", "date comptage", "heure", "counted on"),
        _c("reference", False, "Référence", N_("blank tickets: the item found"), None,
           "ref", "réf", "code article", "article", "item"),
        _c("location", False, "Emplacement", N_("blank tickets: where it was found"), None, "empl", "adresse"),
        _c("lot", False, "Lot", N_("blank tickets: the lot found"), None, "n° lot", "numéro de lot"),
        _c("method", False, "Méthode", N_("how the quantity was found"), V_METHOD, "mode", "méthode de comptage"),
    ),
}


def _alias_table(columns: Iterable[Column]) -> dict[str, str]:
    table: dict[str, str] = {}
    for column in columns:
        for name in (column.name, column.french, *column.aliases):
            key = fold(name)
            if table.setdefault(key, column.name) != column.name:  # a mistake in the lists above
                raise AssertionError(f"{name!r} names both {table[key]} and {column.name}")
    return table


ALIASES: dict[str, dict[str, str]] = {kind: _alias_table(columns) for kind, columns in COLUMNS.items()}


def column(kind: str, name: str) -> Column:
    """The column ``name`` of ``kind``."""
    return next(c for c in COLUMNS[kind] if c.name == name)


def required(kind: str) -> tuple[str, ...]:
    return tuple(c.name for c in COLUMNS[kind] if c.required)


def optional(kind: str) -> tuple[str, ...]:
    return tuple(c.name for c in COLUMNS[kind] if not c.required)


@dataclass
class Resolved:
    """Where each column is in a file: ``headers[code]`` is the header as written."""

    headers: dict[str, str]
    missing: list[str]
    twice: list[tuple[str, str, str]]  # (code, first header, second header)


def resolve(aliases: Mapping[str, str], headers: Sequence[object], wanted: Iterable[str],
            needed: Iterable[str]) -> Resolved:
    """Match a file's headers to the ``wanted`` columns; unknown headers are ignored.

    Two headers naming the same column (``Ref`` and ``Code article``) are reported in ``twice``,
    not silently resolved: which one holds the truth is the user's call.
    """
    wanted = set(wanted)
    found: dict[str, str] = {}
    twice = []
    for header in headers:
        text = "" if header is None else str(header).strip()
        code = aliases.get(fold(text)) if text else None
        if code is None or code not in wanted:
            continue
        if code in found:
            twice.append((code, found[code], text))
        else:
            found[code] = text
    return Resolved(found, [c for c in needed if c not in found], twice)


# --------------------------------------------------------------------------- coded values

CATEGORY_NAMES = {
    "raw_materials": ("Matières premières", "Matières premières et fournitures", "Matières et fournitures",
                      "Raw materials and supplies", "Raw materials"),
    "other_supplies": ("Autres approvisionnements", "Approvisionnements", "Other supplies"),
    "wip_goods": ("En-cours de production de biens", "En-cours de biens", "Encours de production de biens",
                  "Work in progress (goods)", "Work in progress goods"),
    "wip_services": ("En-cours de production de services", "En-cours de services",
                     "Encours de production de services", "Work in progress (services)",
                     "Work in progress services"),
    "products": ("Produits", "Produits finis", "Produits intermédiaires", "Produits intermédiaires et finis",
                 "Produits résiduels", "Finished goods"),
    "goods_for_resale": ("Marchandises", "Goods for resale", "Goods", "Merchandise"),
}
OWNER_NAMES = {
    "own": ("propre", "stock propre", "nous", "own stock"),
    "third_party": ("tiers", "pour compte de tiers", "détenu pour le compte de tiers", "stock de tiers",
                    "appartient à un tiers", "held for a third party", "third party"),
    "at_third_party": ("chez un tiers", "en dépôt", "en dépôt chez un tiers", "en transit", "transit",
                       "détenu chez un tiers", "détenu chez un tiers ou en transit",
                       "held by a third party or in transit", "at third party", "in transit"),
}
STATE_NAMES = {
    "good": ("bon", "bon état", "ok", "neuf"),
    "damaged": ("abîmé", "endommagé", "détérioré", "dégradé", "cassé"),
    "obsolete": ("obsolète", "périmé commercialement"),
    "expired": ("périmé", "expiré", "date dépassée"),
}
KIND_NAMES = {
    "opening": ("ouverture", "stock initial", "à nouveau", "report"),
    "receipt": ("entrée", "réception", "achat", "in"),
    "issue": ("sortie", "consommation", "vente", "out"),
    "transfer": ("transfert", "mutation"),
    "adjustment": ("ajustement", "régularisation", "correction", "inventaire"),
}
METHOD_NAMES = {
    "counted": ("compté", "comptage"),
    "weighed": ("pesé", "pesée"),
    "measured": ("mesuré", "mesure"),
    "estimated": ("estimé", "estimation"),
}


def _values(names: Mapping[str, Iterable[str]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for code, labels in names.items():
        for label in (code, *labels):
            key = fold(label)
            if table.setdefault(key, code) != code:
                raise AssertionError(f"{label!r} names both {table[key]} and {code}")
    return table


CATEGORY_VALUES = _values(CATEGORY_NAMES)
OWNER_VALUES = _values(OWNER_NAMES)
STATE_VALUES = _values(STATE_NAMES)
KIND_VALUES = _values(KIND_NAMES)
METHOD_VALUES = _values(METHOD_NAMES)


def coded(table: Mapping[str, str], text: str) -> str | None:
    """The code a cell names in ``table`` (``Abîmé`` is ``damaged``), None when unknown."""
    found = table.get(text)
    return found if found is not None else table.get(fold(text))
