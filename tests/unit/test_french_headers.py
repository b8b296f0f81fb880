"""Import files with French headers and values (countapp/import_columns.py, countapp/filecheck.py)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest

from countapp import import_columns as cols
from countapp.filecheck import category_of, check_counts, check_file, check_movements, check_opening, check_stock
from countapp.tabular import read_table

YEAR = {"fiscal_year_start": dt.date(2025, 1, 1), "fiscal_year_end": dt.date(2025, 12, 31)}

FRENCH_STOCK = ("Référence;Désignation;Unité;Catégorie;Emplacement;Zone;Site;Lot;Quantité théorique;Coût unitaire;"
                "Propriétaire;Dernier mouvement;Prix de marché\n"
                "MP-001;Tôle d'acier 2 mm;kg;Matières premières;A-01;Atelier;Lyon;L24-7;1 234,5;2,75;propre;"
                "15/11/2025;2,60\n"
                "MA-9;Écrou M8;pc;Marchandises;B-02;Magasin;Lyon;;12;0,125;Chez un tiers;;\n"
                "PF-3;Palette client;pc;35;B-03;Magasin;Lyon;;4;0;tiers;;\n")


def stock(text: str, name: str = "stock.csv", encoding: str = "utf-8"):
    return check_stock(read_table(text.encode(encoding), name), filename=name)


def test_fold_ignores_case_accents_spaces_and_punctuation():
    assert cols.fold("  Qté  Théorique ") == "qte_theorique"
    assert cols.fold("Valeur d’ouverture") == cols.fold("valeur d'ouverture") == "valeur_d_ouverture"
    assert cols.fold("Coût unitaire (€)") == "cout_unitaire"
    assert cols.fold("ŒUVRE") == "oeuvre" and cols.fold("Book Qty") == "book_qty"


def test_a_french_stock_file_reads_like_an_english_one():
    result = stock(FRENCH_STOCK, encoding="cp1252")
    assert result.ok, [e.render() for e in result.errors]
    first, second, third = result.rows
    assert (first.reference, first.designation, first.category, first.book_qty, first.unit_cost) == \
        ("MP-001", "Tôle d'acier 2 mm", "raw_materials", Decimal("1234.5"), Decimal("2.75"))
    assert (first.lot, first.zone, first.site, first.owner) == ("L24-7", "Atelier", "Lyon", "own")
    assert first.last_movement_date == dt.date(2025, 11, 15) and first.market_price == Decimal("2.60")
    assert (second.category, second.owner) == ("goods_for_resale", "at_third_party")
    assert (third.category, third.owner) == ("products", "third_party")


@pytest.mark.parametrize("header, column", [
    ("Ref", "reference"), ("RÉF", "reference"), ("Code article", "reference"), ("Libellé", "designation"),
    ("U", "unit"), ("UNITE", "unit"), ("categorie", "category"), ("Empl.", "location"),
    ("Stock théorique", "book_qty"), ("Qté théorique", "book_qty"), ("QUANTITE", "book_qty"),
    ("Prix unitaire", "unit_cost"), ("CUMP", "unit_cost"), ("Propriétaire", "owner"),
    ("Date du dernier mouvement", "last_movement_date"), ("Prix de marché", "market_price"),
])
def test_each_french_stock_header_names_its_column(header, column):
    assert cols.ALIASES["stock"][cols.fold(header)] == column


def test_the_same_word_means_what_the_file_is_about():
    # "Quantité" is the book quantity in a stock file and the counted or moved one elsewhere
    assert cols.ALIASES["stock"]["quantite"] == "book_qty"
    assert cols.ALIASES["movements"]["quantite"] == cols.ALIASES["counts"]["quantite"] == "quantity"
    assert cols.ALIASES["movements"]["type"] == cols.ALIASES["movements"]["nature"] == "kind"
    assert cols.ALIASES["opening"][cols.fold("Valeur d'ouverture")] == "opening_value"


def test_two_headers_for_one_column_are_an_error_naming_both():
    text = "Référence;Code article;Désignation;Unité;Catégorie;Emplacement;Qté;Coût\nA;A;Alpha;pc;31;L1;1;2\n"
    result = stock(text)
    assert [(e.line, e.column) for e in result.errors] == [(1, "reference")]
    assert result.errors[0].text() == ("The columns Référence and Code article both give reference: keep only one "
                                       "of them.")


def test_a_missing_column_is_named_with_its_french_header():
    result = stock("Référence;Désignation;Unité;Catégorie;Emplacement;Quantité théorique\nA;Alpha;pc;31;L1;1\n")
    assert [(e.line, e.column) for e in result.errors] == [(1, "unit_cost")]
    assert "«\u00a0Coût unitaire\u00a0»" in result.errors[0].text()


def test_errors_name_the_column_as_written_in_the_file():
    result = stock("Référence;Désignation;Unité;Catégorie;Emplacement;Qté théorique;Coût unitaire\n"
                   "A;;pc;31;L1;douze;2\n")
    assert {e.column for e in result.errors} == {"designation", "book_qty"}
    assert {e.header for e in result.errors} == {"Désignation", "Qté théorique"}
    assert result.errors[0].render() == "stock.csv, line 2, Désignation: The Désignation field is empty."
    assert result.errors[1].render() == ("stock.csv, line 2, Qté théorique: 'douze' is not a number: write digits "
                                         "with a decimal comma or point (1234,5 or 1234.5).")


@pytest.mark.parametrize("text, category", [
    ("Matières premières", "raw_materials"), ("MATIERES PREMIERES", "raw_materials"),
    ("Matières premières et fournitures", "raw_materials"), ("Autres approvisionnements", "other_supplies"),
    ("En-cours de production de biens", "wip_goods"), ("en cours de production de services", "wip_services"),
    ("Produits", "products"), ("Produits finis", "products"), ("marchandises", "goods_for_resale"),
    ("Goods for resale", "goods_for_resale"), ("goods_for_resale", "goods_for_resale"), ("37", "goods_for_resale"),
    ("3210000", "other_supplies"), ("Raw materials and supplies", "raw_materials"),
])
def test_categories_by_french_label_english_code_or_account(text, category):
    assert category_of(text) == category


@pytest.mark.parametrize("text", ["Matières", "36", "38", "fournitures diverses", ""])
def test_unknown_categories_stay_unknown(text):
    assert category_of(text) is None


def test_unknown_owner_tells_the_french_words_too():
    result = stock("reference;designation;unit;category;location;book_qty;unit_cost;Propriétaire\n"
                   "A;Alpha;pc;31;L1;1;2;voisin\n")
    assert [(e.line, e.column, e.header) for e in result.errors] == [(2, "owner", "Propriétaire")]
    assert "propre" in result.errors[0].text() and "chez un tiers" in result.errors[0].text()


def test_french_movements_with_french_kinds():
    text = ("Date;Référence;Emplacement;Quantité;Coût unitaire;Nature;Pièce\n"
            "31/12/2024;A;L1;10;2,5;Ouverture;AN\n"
            "03/02/2025;A;L1;5;2,6;Entrée;BL-12\n"
            "04/02/2025;A;L1;-3;;sortie;BS-7\n"
            "05/02/2025;A;L1;1;;Régularisation;INV\n"
            "06/02/2025;A;L1;-1;;Transfert;T-1\n")
    result = check_movements(read_table(text.encode("cp1252"), "m.csv"), filename="m.csv", known_items={"A"}, **YEAR)
    assert result.ok, [e.render() for e in result.errors]
    assert [r.kind for r in result.rows] == ["opening", "receipt", "issue", "adjustment", "transfer"]
    assert [r.document for r in result.rows][:2] == ["AN", "BL-12"]


def test_french_opening_values():
    text = "Catégorie;Valeur d'ouverture;Dépréciation d'ouverture;Achats\nMatières premières;12 500,00;1 000;80 000\n"
    result = check_opening(read_table(text.encode(), "o.csv"), filename="o.csv")
    assert result.ok and result.rows[0].category == "raw_materials"
    assert (result.rows[0].opening_value, result.rows[0].opening_depreciation) == (Decimal("12500.00"), 1000)


def test_french_counts_with_french_states_and_methods():
    text = ("N° fiche;Comptage;Quantité;État;Équipe;Méthode\n"
            "000001/2025;1;12,5;Abîmé;3;Pesé\n"
            "2;2;4;endommagé;;\n"
            "3;1;1;Périmé;;estimé\n"
            "4;1;1;OBSOLÈTE;;\n"
            "5;1;1;bon;;\n")
    result = check_counts(read_table(text.encode("cp1252"), "c.csv"), filename="c.csv")
    assert result.ok, [e.render() for e in result.errors]
    assert [r.state for r in result.rows] == ["damaged", "damaged", "expired", "obsolete", "good"]
    assert [r.method for r in result.rows] == ["weighed", "counted", "estimated", "counted", "counted"]
    assert result.rows[0].team == 3 and result.rows[0].quantity == Decimal("12.5")


def test_french_headers_in_xlsx(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["RÉFÉRENCE", "Libellé", "U", "Catégorie", "Emplacement", "Stock théorique", "CUMP", "Lot"])
    sheet.append(["MP-1", "Fil de cuivre", "m", "Matières premières", "A-1", 120.5, 0.42, "L1"])
    path = tmp_path / "stock.xlsx"
    book.save(path)
    result = check_file("stock", path)
    assert result.ok, [e.render() for e in result.errors]
    assert (result.rows[0].book_qty, result.rows[0].unit_cost, result.rows[0].lot) == \
        (Decimal("120.5"), Decimal("0.42"), "L1")


def test_rows_given_in_code_take_french_keys_too():
    result = check_stock([{"Référence": "A", "Désignation": "Alpha", "Unité": "pc", "Catégorie": "Produits",
                           "Emplacement": "L1", "Qté": "3", "Coût unitaire": "1.5"}], filename="code")
    assert result.ok and result.rows[0].category == "products" and result.rows[0].line == 2


def test_no_name_means_two_columns():
    for kind, columns in cols.COLUMNS.items():
        names = [c.name for c in columns]
        assert len(names) == len(set(names)), kind
        assert set(cols.ALIASES[kind].values()) == set(names)


# --------------------------------------------------------------------------- templates

@pytest.mark.parametrize("kind", cols.KINDS)
@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_template_reads_back_without_an_error(kind, language, fmt):
    from countapp import import_templates

    make = import_templates.template_csv if fmt == "csv" else import_templates.template_xlsx
    data = make(kind, language, dt.date(2025, 12, 31))
    options = {"known_items": None, **YEAR} if kind == "movements" else {}
    result = check_file(kind, data, filename=f"template.{fmt}", **options)
    assert result.ok, [e.render() for e in result.errors]
    assert result.lines == 2


def test_a_french_csv_template_is_what_french_excel_opens():
    from countapp import import_templates

    data = import_templates.template_csv("stock", "fr", dt.date(2025, 12, 31))
    assert data.startswith(b"\xef\xbb\xbf")
    header, first, _ = data.decode("utf-8-sig").splitlines()
    assert header.startswith("Référence;Désignation;Unité;Catégorie;Emplacement;Quantité théorique;Coût unitaire")
    assert ";Matières premières;" in first and ";1250,5;2,75;" in first and ";21/11/2025;" in first
    english = import_templates.template_csv("stock", "en", dt.date(2025, 12, 31)).decode()
    assert english.startswith("reference,designation,unit,category,location,book_qty,unit_cost")
    assert ",raw_materials,A-01-02,1250.5,2.75," in english


def test_the_command_docs_list_every_column():
    from pathlib import Path

    docs = (Path(__file__).parents[2] / "docs" / "commands.md").read_text(encoding="utf-8")
    for kind, columns in cols.COLUMNS.items():
        section = docs.split(f"**{kind}** — ", 1)[1].split("\n", 1)[0]
        for column in columns:
            assert f"`{column.name}`" in section and column.french in section, (kind, column.name)
