"""FDA drug labels (openFDA JSON, CC0): one citable document per label section, one `drug` node per drug.

Each `en/fda_labels/*.json` file is an openFDA answer, `{"meta": …, "results": [label]}`. A label's sections
are lists of text under keys such as `indications_and_usage`; `SECTIONS` names the ones indexed and what a
reader calls them. Left out on purpose: HTML tables (`*_table`), package labels, how supplied / storage,
description (chemistry), clinical pharmacology and pharmacokinetics, clinical and non-clinical studies,
references, recent changes and unclassified sections: they answer few questions a patient or clinician asks
about using a drug and would crowd those that do.

openFDA flattens the label, so a parent section also holds its subsections (8 USE IN SPECIFIC POPULATIONS
contains 8.1 Pregnancy, 8.4 Pediatric use…; an old-format PRECAUTIONS contains Information for patients,
Pregnancy…). Subsections indexed on their own are cut out of the parent (`_PARENTS`), so no text is indexed
twice; what is left of the parent (e.g. renal or hepatic impairment) stays as its own document.

Drugs: one `DRUG:<key>` node per drug (`knowledge.graph.drugs`), named after the active moiety, with the
label's generic, brand and substance names as synonyms and RxNorm / UNII ids as xrefs; labels of the same
drug share the node, and so does the same drug from `knowledge.sources.indications`.

No edges: the structured `openfda` block holds identifiers, names and pharmacologic classes, but no disease or
drug ids; indications, contraindications and interactions are stated only in prose. Edges `treats`,
`contraindicated_in` or `interacts_with` would need text mining, which this loader does not do; drug–disease
edges come from the curated `indications` source.

`labels_with_no_reponse.tsv` lists PharmGKB-annotated labels openFDA could not serve: they have no file, so
there is nothing to read for them. Files that are not labels (`timestamp.json`) are counted as skipped;
unreadable or empty label files as malformed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, NamedTuple

from knowledge.errors import SourceNotFoundError
from knowledge.graph.drugs import drug_key, drug_node_id, moiety_name, readable
from knowledge.graph.names import normalize
from knowledge.schema import NodeRecord, Provenance, SourceDoc
from knowledge.sources.base import LoadReport, SourceBundle, clean_text, normalize_xref, require_file, utf8_error

SOURCE = "fda_labels"
LICENCE = "CC0 1.0 (openFDA)"
FOLDER = "en/fda_labels"


class Section(NamedTuple):
    """A label section as indexed: its human name and the headings its text may open with."""

    name: str
    headings: tuple[str, ...]


#: Indexed sections, in label order: openFDA key → human name and leading headings to strip (longest first).
SECTIONS: dict[str, Section] = {
    "boxed_warning": Section("Boxed warning", ("boxed warning",)),
    "indications_and_usage": Section("Indications and usage", ("indications and usage", "indications & usage")),
    "dosage_and_administration": Section("Dosage and administration", ("dosage and administration",)),
    "dosage_forms_and_strengths": Section(
        "Dosage forms and strengths", ("dosage forms and strengths", "dosage form and strengths", "dosage forms")
    ),
    "contraindications": Section("Contraindications", ("contraindications",)),
    "warnings_and_cautions": Section("Warnings and precautions", ("warnings and precautions", "warnings")),
    "warnings": Section("Warnings", ("warnings", "warning")),
    "precautions": Section("Precautions", ("precautions",)),
    "adverse_reactions": Section("Adverse reactions", ("adverse reactions",)),
    "drug_interactions": Section("Drug interactions", ("drug interactions",)),
    "use_in_specific_populations": Section(
        "Use in specific populations", ("use in specific populations", "specific patient populations")
    ),
    "pregnancy": Section("Pregnancy", ("pregnancy",)),
    "labor_and_delivery": Section("Labor and delivery", ("labor and delivery", "labor & delivery", "lactation")),
    "nursing_mothers": Section("Lactation", ("nursing mothers", "lactation")),
    "pediatric_use": Section("Pediatric use", ("pediatric use",)),
    "geriatric_use": Section("Geriatric use", ("geriatric use",)),
    "drug_abuse_and_dependence": Section("Abuse and dependence", ("drug abuse and dependence",)),
    "overdosage": Section("Overdosage", ("overdosage",)),
    "mechanism_of_action": Section("Mechanism of action", ("mechanism of action",)),
    "pharmacogenomics": Section("Pharmacogenomics", ("pharmacogenomics",)),
    "information_for_patients": Section(
        "Patient counseling information", ("patient counseling information", "information for patients")
    ),
    "spl_medguide": Section("Medication guide", ("medication guide",)),
    "spl_patient_package_insert": Section("Patient information", ("patient information", "patient package insert")),
    "patient_medication_information": Section("Patient information", ("patient information",)),
}
_SPECIFIC_POPULATIONS = ("pregnancy", "teratogenic_effects", "nonteratogenic_effects", "labor_and_delivery")
#: Parent section → subsections cut out of it (when found verbatim), kept or deliberately dropped.
_PARENTS: dict[str, tuple[str, ...]] = {
    "use_in_specific_populations": (*_SPECIFIC_POPULATIONS, "nursing_mothers", "pediatric_use", "geriatric_use"),
    "precautions": (
        *_SPECIFIC_POPULATIONS,
        "nursing_mothers",
        "pediatric_use",
        "geriatric_use",
        "information_for_patients",
        "drug_interactions",
        "carcinogenesis_and_mutagenesis_and_impairment_of_fertility",
    ),
}
#: Subsections of 8 USE IN SPECIFIC POPULATIONS that openFDA has no key for, cut out of what is left of it by
#: their numbered heading ("8.2 Lactation", "8.6 Renal Impairment"): breastfeeding and kidney or liver disease
#: are frequent questions, and a document of their own answers them better than a long mixed one.
POPULATION_SUBSECTIONS: dict[str, Section] = {
    "lactation": Section("Lactation", ("lactation", "nursing mothers")),
    "reproductive_potential": Section(
        "Females and males of reproductive potential",
        ("females and males of reproductive potential", "females of reproductive potential"),
    ),
    "renal_impairment": Section("Renal impairment", ("renal impairment",)),
    "hepatic_impairment": Section("Hepatic impairment", ("hepatic impairment",)),
}
# A numbered subsection heading ("8.2 Lactation"), not a reference to one ("(8.2)", "( 8.2 )").
_SUBSECTION_MARK = re.compile(r"(?<![(\w.])8\.\d+\.?\s+(?=[A-Z])")
#: What is left of a parent once its subsections are cut out is kept only from this many words: less is the
#: parent's heading and the subsection numbers.
MIN_RESIDUAL_WORDS = 8


def _heading_pattern(headings: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(r"\s+".join(map(re.escape, h.split())) for h in headings)
    # Optional section number ("8.1", "5.", "17"), the heading, then optional punctuation. A heading followed by
    # "Category" is text ("Pregnancy Category C."), not a heading.
    return re.compile(rf"^\s*(?:\d+(?:\.\d+)*\.?\s*)?(?:{alternatives})(?!\s*category)\s*[:.\-–—]?\s*", re.I)


_HEADINGS = {key: _heading_pattern(s.headings) for key, s in {**SECTIONS, **POPULATION_SUBSECTIONS}.items()}
#: Human name of every document key, the openFDA sections and the subsections cut out of them.
SECTION_NAMES = {key: s.name for key, s in {**SECTIONS, **POPULATION_SUBSECTIONS}.items()}


def dailymed_url(set_id: str) -> str:
    """Public DailyMed page of a label."""
    return f"https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid={set_id}"


def strip_heading(key: str, text: str) -> str:
    """The section text without the heading it repeats: `"1 INDICATIONS AND USAGE X is…"` → `"X is…"`."""
    pattern = _HEADINGS.get(key)
    return pattern.sub("", text, count=1).strip() if pattern else text


def _text(label: dict[str, Any], key: str) -> str | None:
    value = label.get(key)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return clean_text(" ".join(value))


def section_texts(label: dict[str, Any]) -> dict[str, str]:
    """Indexed section key → cleaned text, subsections cut out of their parents, headings stripped."""
    raw = {
        key: text for key in {*SECTIONS, *(c for cs in _PARENTS.values() for c in cs)} if (text := _text(label, key))
    }
    out: dict[str, str] = {}
    for key in SECTIONS:
        text = raw.get(key)
        if not text:
            continue
        children = sorted((raw[c] for c in _PARENTS.get(key, ()) if raw.get(c)), key=len, reverse=True)
        for child in children:
            text = text.replace(child, " ")
        text = strip_heading(key, clean_text(text))
        cut_out = bool(children)
        if key == "use_in_specific_populations":
            text, subsections = _split_populations(text)
            out.update(subsections)
            cut_out = cut_out or bool(subsections)
        if text and not (cut_out and len(text.split()) < MIN_RESIDUAL_WORDS):
            out[key] = text
    return out


def unreadable_sections(label: dict[str, Any]) -> list[str]:
    """Indexed section keys present in `label` whose value is not text (a list of strings)."""
    return [key for key in SECTIONS if label.get(key) not in (None, "", []) and _text(label, key) is None]


def _split_populations(text: str) -> tuple[str, dict[str, str]]:
    """`text` without the `POPULATION_SUBSECTIONS` it holds, and those subsections by key."""
    marks = [m.start() for m in _SUBSECTION_MARK.finditer(text)]
    if not marks:
        return text, {}
    # The text before the first numbered heading is the highlights summary ("Renal impairment: avoid…"): it stays.
    rest = [text[: marks[0]]]
    pieces = [text[a:b] for a, b in zip(marks, [*marks[1:], len(text)], strict=True)]
    found: dict[str, list[str]] = {}
    for piece in pieces:
        for key in POPULATION_SUBSECTIONS:
            body = strip_heading(key, piece)
            if body != piece.strip():
                found.setdefault(key, []).append(body)
                break
        else:
            rest.append(piece)
    return clean_text(" ".join(rest)), {k: clean_text(" ".join(v)) for k, v in found.items() if any(v)}


def _strings(block: dict[str, Any], key: str) -> list[str]:
    value = block.get(key)
    if not isinstance(value, list):
        return []
    return [clean_text(v) for v in value if isinstance(v, str) and v.strip()]


_PARENTHESES = re.compile(r"\s*\([^)]*\)")


def _brand_case(brand: str) -> str:
    return brand.title() if brand.upper() == brand else brand


class LabelDrug(NamedTuple):
    """The drug a label is about, as its `openfda` block names it."""

    generic: str
    brands: list[str]
    substances: list[str]
    xrefs: list[str]


def label_drug(openfda: dict[str, Any]) -> LabelDrug | None:
    """Names and ids of a label's drug; None when it names none."""
    generics = _strings(openfda, "generic_name")
    substances = [readable(s) for s in _strings(openfda, "substance_name")]
    brands_raw = [_PARENTHESES.sub("", b).strip() for b in _strings(openfda, "brand_name")]
    if not generics and not substances:
        return None
    generic = readable(generics[0]) if generics else " and ".join(substances)
    # A few labels give the brand as the generic name ("PURIXAN"); the substance then names the drug.
    if substances and normalize(generic) in {normalize(b) for b in brands_raw}:
        substance_generic = " and ".join(substances)
        if drug_key(substance_generic) != drug_key(generic):
            generic = substance_generic
    key = drug_key(generic)
    brands: list[str] = []
    for brand in brands_raw:
        norm = normalize(brand)
        # "Gentamicin Sulfate in Sodium Chloride", "Amphetamine Extended-Release…" restate the generic name.
        if not norm or norm.startswith(normalize(moiety_name(generic))) or drug_key(brand) == key:
            continue
        brands.append(_brand_case(brand))
    single = "+" not in key and len(substances) <= 1
    # A combination's substances (and their UNIIs) are its ingredients, not other names of it: "lidocaine"
    # must not name the lidocaine and prilocaine cream. RxCUIs are product ids, right for either.
    others = [*(substances if single else []), *map(readable, generics[1:])]
    xrefs = [normalize_xref(f"RXCUI:{r}") for r in _strings(openfda, "rxcui")]
    xrefs += [normalize_xref(f"UNII:{u}") for u in _strings(openfda, "unii")] if single else []
    return LabelDrug(
        generic=generic,
        brands=list(dict.fromkeys(brands)),
        substances=[s for s in dict.fromkeys(others) if s != generic],
        xrefs=sorted({x for x in xrefs if x}),
    )


def _read_labels(path: Path, report: LoadReport) -> list[dict[str, Any]]:
    """The label objects of one file (one in practice); problems are counted in `report`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        report.skip(path.name, None, f"cannot read: {exc.strerror or exc}")
        return []
    if not raw.strip():
        report.bad(path.name, None, "empty file; download the label again or delete it")
        return []
    try:
        payload = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        report.bad(path.name, None, utf8_error(exc))
        return []
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        report.bad(path.name, None, f"invalid JSON: {reason}")
        return []
    if not isinstance(payload, dict) or not ({"meta", "results"} & payload.keys()):
        report.skip(path.name, None, "not an openFDA label file (no `results`)")
        return []
    results = payload.get("results")
    if not isinstance(results, list) or not results:
        report.bad(path.name, None, "`results` holds no label; openFDA returned nothing for it")
        return []
    labels = [r for r in results if isinstance(r, dict)]
    if len(labels) < len(results):
        report.bad(path.name, None, f"{len(results) - len(labels)} entries of `results` are not label objects")
    return labels


def load_fda_labels(data_dir: Path | None) -> SourceBundle:
    """Section documents and drug nodes from every openFDA label file under `en/fda_labels/`."""
    report = LoadReport(source=SOURCE)
    folder = require_file(data_dir, FOLDER, SOURCE)
    paths = sorted(folder.glob("*.json"))
    if not paths:
        msg = f"source `{SOURCE}`: no *.json label files in {folder}; check CLINICALGPT_DATA_DIR or drop `{SOURCE}`"
        raise SourceNotFoundError(msg)
    docs: list[SourceDoc] = []
    nodes: dict[str, NodeRecord] = {}
    seen: set[str] = set()
    for path in paths:
        report.files.append(str(path))
        for label in _read_labels(path, report):
            block = label.get("openfda")
            openfda: dict[str, Any] = block if isinstance(block, dict) else {}
            try:
                drug = label_drug(openfda)
            except ValueError as exc:
                report.bad(path.name, None, str(exc))
                continue
            if drug is None:
                report.bad(path.name, None, "label names no drug (`openfda.generic_name` and `substance_name` empty)")
                continue
            set_id = label.get("set_id") if isinstance(label.get("set_id"), str) else None
            # The set id names a label across its versions; the application number stands in when it is missing.
            native = set_id or next(iter(_strings(openfda, "application_number")), path.stem)
            if native in seen:
                report.bad(path.name, None, f"label {native} already read from another file; skipped")
                continue
            seen.add(native)
            report.records += 1
            for key in unreadable_sections(label):
                report.bad(path.name, None, f"section `{key}` is not a list of text; left out")
            prov = Provenance(
                source=SOURCE,
                native_id=native,
                url=dailymed_url(set_id) if set_id else None,
                licence=LICENCE,
                file=f"{FOLDER}/{path.name}",
            )
            node_id = drug_node_id(drug.generic)
            _add_node(nodes, node_id, drug, prov)
            docs += _section_docs(label, openfda, drug, node_id, prov)
    return SourceBundle(docs=docs, nodes=list(nodes.values()), report=report)


def _section_docs(
    label: dict[str, Any], openfda: dict[str, Any], drug: LabelDrug, node_id: str, prov: Provenance
) -> list[SourceDoc]:
    title = f"{drug.generic} ({', '.join(drug.brands)})" if drug.brands else drug.generic
    metadata = {
        "generic_name": drug.generic,
        "brand_names": drug.brands,
        "application_number": _strings(openfda, "application_number"),
        "effective_time": label.get("effective_time") if isinstance(label.get("effective_time"), str) else None,
        "pharm_class": _strings(openfda, "pharm_class_epc"),
    }
    return [
        SourceDoc(
            doc_id=f"{SOURCE}:{prov.native_id}:{key}",
            title=title,
            section=SECTION_NAMES[key],
            text=text,
            provenance=prov,
            entities=[node_id],
            metadata={**metadata, "section_key": key},
        )
        for key, text in section_texts(label).items()
    ]


def _add_node(nodes: dict[str, NodeRecord], node_id: str, drug: LabelDrug, prov: Provenance) -> None:
    """Create the drug's node, or add this label's names and ids to it (labels of one drug share a node)."""
    names = [drug.generic, *drug.brands, *drug.substances]
    old = nodes.get(node_id)
    if old is None:
        name = moiety_name(drug.generic)
        nodes[node_id] = NodeRecord(
            node_id=node_id,
            type="drug",
            name=name,
            synonyms=[n for n in dict.fromkeys(names) if n != name],
            xrefs=drug.xrefs,
            provenance=prov,
        )
        return
    synonyms = [n for n in dict.fromkeys([*old.synonyms, *names]) if n != old.name]
    nodes[node_id] = old.model_copy(update={"synonyms": synonyms, "xrefs": sorted({*old.xrefs, *drug.xrefs})})
