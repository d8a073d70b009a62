"""Sources, processing methods and the regulatory class of a cell product, as data (pure: no Django).

The class is recorded on every product; a site's policy names the classes that need an approval reference
(e.g. an IND number) before the product may be processed or released. The default class suggested for a
method follows clinical-facts §5.3 (US framing): point-of-care concentration of an autologous tissue in the
same procedure stays in the same-surgical-procedure exception; enzymatic digestion or mechanical disruption
of adipose tissue, and any allogeneic product, are more than minimally manipulated or not autologous and so
need an investigational approval. A clinic in another jurisdiction sets its own policy; the class a
technician records is kept as given.
"""

from __future__ import annotations

from typing import Final

SOURCES: Final = {"bone_marrow": "Bone marrow", "adipose": "Adipose tissue"}
ORIGINS: Final = {"autologous": "Autologous", "allogeneic": "Allogeneic"}
# Where each source is taken from.
HARVEST_SITES: Final = {
    "bone_marrow": {"iliac_crest": "Iliac crest"},
    "adipose": {"abdomen": "Abdomen", "thigh": "Thigh", "flank": "Flank"},
}
ANAESTHESIA: Final = {
    "local": "Local anaesthesia",
    "local_sedation": "Local anaesthesia with sedation",
    "regional": "Regional anaesthesia",
    "general": "General anaesthesia",
}

METHODS: Final = {
    "centrifugation_concentrate": "Centrifugation concentrate",
    "washed_lipoaspirate": "Washed or centrifuged lipoaspirate (microfat)",
    "mechanical_microfragmentation": "Mechanical microfragmentation",
    "enzymatic_svf": "Enzymatic stromal vascular fraction",
}
METHODS_FOR_SOURCE: Final = {
    "bone_marrow": ("centrifugation_concentrate",),
    "adipose": ("washed_lipoaspirate", "mechanical_microfragmentation", "enzymatic_svf"),
}

SAME_PROCEDURE_AUTOLOGOUS = "same_procedure_autologous"
MINIMALLY_MANIPULATED = "minimally_manipulated_homologous"
INVESTIGATIONAL = "investigational"
REGULATORY_CLASSES: Final = {
    SAME_PROCEDURE_AUTOLOGOUS: "Autologous, minimally manipulated, removed and given in the same procedure",
    MINIMALLY_MANIPULATED: "Minimally manipulated for homologous use",
    INVESTIGATIONAL: "More than minimally manipulated or allogeneic: needs an investigational approval reference",
}
DEFAULT_CLASSES_NEEDING_APPROVAL: Final = (INVESTIGATIONAL,)


def default_regulatory_class(*, origin: str, method: str | None) -> str:
    """The class suggested for a product of `origin` processed by `method` (None before processing)."""
    if origin != "autologous" or method in ("enzymatic_svf", "mechanical_microfragmentation"):
        return INVESTIGATIONAL
    return SAME_PROCEDURE_AUTOLOGOUS


def approval_refusals(
    *, regulatory_class: str, approval_reference: str, needing_approval: tuple[str, ...]
) -> list[str]:
    """Why the product may not go on without an approval reference ([] when it may)."""
    if regulatory_class in needing_approval and not approval_reference.strip():
        label = REGULATORY_CLASSES.get(regulatory_class, regulatory_class)
        return [
            f"This site needs an approval reference (e.g. an investigational approval number) for products "
            f"classed as: {label}. Record the reference first."
        ]
    return []


def product_description(*, source: str, method: str | None, volume_ml: float | None) -> str:
    """How a label and a page name the product, e.g. 'Bone marrow, centrifugation concentrate, 3 mL'."""
    what = SOURCES.get(source, source)
    how = METHODS.get(method, method).lower() if method else "unprocessed"
    amount = f", {volume_ml:g} mL" if volume_ml is not None else ""
    return f"{what}, {how}{amount}"


def class_against_policy(*, suggested: str, chosen: str, needing_approval: tuple[str, ...]) -> bool:
    """Whether `chosen` sidesteps the approval that the class the policy suggests for the method needs."""
    return chosen != suggested and suggested in needing_approval and chosen not in needing_approval
