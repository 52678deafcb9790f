"""Legal forms across countries, as printed and as OCR misreads them (invented names)."""

from __future__ import annotations

import pytest

from ocrframe.engine.legal_forms import (
    find_legal_forms,
    has_legal_form,
    mend_legal_forms,
    starts_with_legal_form,
    strip_legal_forms,
)


@pytest.mark.parametrize(
    ("name", "form"),
    [
        ("Muster Bau GmbH & Co. KG", "GmbH & Co. KG"),
        ("Atelier Lune S.A.R.L.", "SARL"),
        ("Boulangerie Soleil SAS", "SAS"),
        ("Polder Tech B.V.", "BV"),
        ("Fjord Data Oy", "Oy"),
        ("Granite Works Ltd.", "Ltd"),
        ("Harbour Lights Pte Ltd", "Pte Ltd"),
        ("Kopi Hill Sdn.Bhd.", "Sdn Bhd"),
        ("River Mill CO.,LTD", "Co. Ltd"),
        ("Wisla Trade Sp. z o.o.", "Sp. z o.o."),
        ("Nordlicht Handel AG (HRB 12345)", "AG"),
    ],
)
def test_forms_of_many_countries_are_found_as_printed(name: str, form: str) -> None:
    found = find_legal_forms(name)
    assert [f.form for f in found] == [form]
    assert name[found[0].start : found[0].end].replace(" ", "") in name.replace(" ", "")


@pytest.mark.parametrize(
    ("printed", "mended"),
    [
        ("NORTH STAR 5DN 8HD", "NORTH STAR SDN BHD"),
        ("NORTH STAR SON BHD", "NORTH STAR SDN BHD"),
        ("88 QUICK MART 5/B", "88 QUICK MART S/B"),
        ("Acme 6MBH", "Acme GMBH"),
        ("Granite Works 1TD", "Granite Works LTD"),
    ],
)
def test_ocr_confusions_are_mended_in_any_form(printed: str, mended: str) -> None:
    assert mend_legal_forms(printed) == mended
    assert has_legal_form(printed)


@pytest.mark.parametrize(
    "text",
    [
        "son of the house",  # "son" alone is no "Sdn": no digit, no "Bhd" beside it
        "AS YOU LIKE CAFE",  # two letters, not at the end of the name
        "Sales Team",
        "TEL 580 123",  # a number is never a form
        "Gasse 12",
    ],
)
def test_words_that_only_resemble_a_form_are_not_one(text: str) -> None:
    assert not has_legal_form(text)
    assert mend_legal_forms(text) == text


def test_a_line_of_its_legal_form_continues_the_name_and_stripping_leaves_the_name() -> None:
    assert starts_with_legal_form("SDN. BHD. (123456-X)")
    assert starts_with_legal_form("GmbH & Co. KG")
    assert not starts_with_legal_form("North Star GmbH")
    assert strip_legal_forms("Anbieter GmbH & Co. KG") == "Anbieter"
    assert strip_legal_forms("GmbH") == ""
