"""The specialty vocabulary: coverage, validation of the data file, similarity."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from typing import Any

import numpy as np
import pytest

from matching import Level, Taxonomy, TaxonomyError, UnknownSpecialty, parse_taxonomy


def _raw() -> dict[str, Any]:
    text = resources.files("matching").joinpath("taxonomy.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


# AAMC 2022 Physician Specialty Data Report specialties, by the NUCC code used for them.
AAMC_CODES = [
    "207R00000X", "207Q00000X", "208000000X", "207P00000X", "207V00000X", "207L00000X",
    "2084P0800X", "2085R0202X", "208600000X", "207RC0000X", "207W00000X", "207X00000X",
    "207RH0003X", "207RG0100X", "207RC0200X", "2084N0400X", "207N00000X", "207ZP0102X",
    "207RN0300X", "208800000X", "2084P0804X", "207RI0200X", "208100000X", "207Y00000X",
    "207RE0101X", "208200000X", "2083P0901X", "207RR0500X", "207LP2900X", "207RG0300X",
    "2080N0001X", "207T00000X", "2085R0001X", "207K00000X", "207RP1001X", "207RI0011X",
    "208G00000X", "2085N0700X", "2086S0129X", "2085R0204X", "207QS0010X", "2080P0207X",
    "207XX0005X", "2080P0202X", "207LP3000X", "2080P0203X", "207RC0001X",
]


def test_packaged_file_loads(taxonomy: Taxonomy) -> None:
    assert len(taxonomy) > 100
    assert {n.code for n in taxonomy.children()} == {
        "ph:physicians", "ph:nursing", "ph:advanced-practice", "ph:pharmacy", "ph:trainees",
    }


@pytest.mark.parametrize("code", AAMC_CODES)
def test_covers_aamc_physician_specialties_with_counts(taxonomy: Taxonomy, code: str) -> None:
    node = taxonomy.get(code)
    assert node.is_nucc
    assert node.workforce > 1000
    assert node.source == "aamc-2022"
    assert taxonomy.ancestors(code)[-1].code == "ph:physicians"


@pytest.mark.parametrize(
    ("code", "grouping"),
    [
        ("163WC0200X", "ph:nursing"),  # critical care
        ("163WE0003X", "ph:nursing"),  # emergency
        ("163WX0200X", "ph:nursing"),  # oncology
        ("163WP0200X", "ph:nursing"),  # pediatrics
        ("ph:rn-perioperative", "ph:nursing"),  # NUCC has no perioperative code
        ("163WP0808X", "ph:nursing"),  # psychiatric / mental health
        ("363L00000X", "ph:advanced-practice"),  # nurse practitioner
        ("363A00000X", "ph:advanced-practice"),  # physician assistant
        ("367500000X", "ph:advanced-practice"),  # CRNA
        ("183500000X", "ph:pharmacy"),
        ("ph:student-medicine", "ph:trainees"),
        ("ph:resident-undeclared", "ph:trainees"),
        ("ph:fellow-undeclared", "ph:trainees"),
    ],
)
def test_covers_other_professions(taxonomy: Taxonomy, code: str, grouping: str) -> None:
    assert taxonomy.ancestors(code)[-1].code == grouping


def test_every_node_is_well_formed(taxonomy: Taxonomy) -> None:
    for node in taxonomy.nodes:
        assert node.label.strip() == node.label and node.label
        assert re.fullmatch(r"[0-9]{3}[0-9A-Z]{6}X|ph:[a-z0-9-]+", node.code)
        depth = len(taxonomy.ancestors(node.code))
        assert depth == {Level.GROUPING: 1, Level.CLASSIFICATION: 2, Level.SPECIALIZATION: 3}[
            node.level
        ]


def test_picker_lists_selectable_codes_with_paths(taxonomy: Taxonomy) -> None:
    entries = {e.code: e for e in taxonomy.picker()}
    assert "ph:physicians" not in entries
    assert entries["207RC0200X"].path == (
        "Physicians", "Internal Medicine", "Critical Care Medicine (Internal Medicine)",
    )
    assert len(entries) == sum(1 for n in taxonomy.nodes if n.level is not Level.GROUPING)


def test_unknown_code_is_a_clear_error(taxonomy: Taxonomy) -> None:
    with pytest.raises(UnknownSpecialty, match="unknown specialty code '999X'"):
        taxonomy.get("999X")
    with pytest.raises(KeyError):  # also a KeyError, for callers that expect one
        taxonomy.index("nope")


def test_similarity_follows_the_hierarchy(taxonomy: Taxonomy) -> None:
    sim = taxonomy.similarity
    assert sim("207RC0200X", "207RC0200X") == 1.0
    assert sim("207R00000X", "207RC0000X") == 0.8  # classification and its specialization
    assert sim("207RC0000X", "207RN0300X") == 0.7  # siblings
    assert sim("207RC0200X", "163WC0200X") == 0.5  # intensivist and ICU nurse share a domain
    assert sim("207N00000X", "207T00000X") == 0.3  # two physician specialties
    assert sim("207N00000X", "183500000X") == 0.1
    matrix = taxonomy.similarity_matrix
    assert np.array_equal(matrix, matrix.T)
    assert not matrix.flags.writeable


def _broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(_raw())
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["nodes"].append({"code": "bad code", "label": "x",
                                      "level": "grouping"}), "neither a NUCC code"),
        (lambda d: d["nodes"].append(dict(d["nodes"][1])), "duplicate code"),
        (lambda d: d["nodes"][1].update(level="subspecialty"), "unknown level"),
        (lambda d: d["nodes"][1].update(parent="ph:nowhere"), "must be an earlier node"),
        (lambda d: d["nodes"][3].update(parent="ph:physicians"), "needs a classification"),
        (lambda d: d["nodes"][1].update(workforce=-1), "workforce"),
        (lambda d: d["nodes"][1].update(label="  "), "empty label"),
        (lambda d: d["nodes"][1].update(domains=["Not A Slug"]), "domains"),
        (lambda d: d["nodes"][0].update(parent="207R00000X"), "grouping has no parent"),
        (lambda d: d.pop("nodes"), "non-empty list"),
    ],
)
def test_malformed_data_is_rejected(change: Any, message: str) -> None:
    with pytest.raises(TaxonomyError, match=message):
        parse_taxonomy(_broken(change))


def test_non_object_is_rejected() -> None:
    with pytest.raises(TaxonomyError):
        parse_taxonomy([])
