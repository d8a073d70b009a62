"""Every model must say what kind of record it is, so that new models cannot dodge the protections."""

from django.apps import apps

from handregen.records import APPEND_ONLY, CLINICAL, REFERENCE, ProtectedQuerySet


def _our_models():
    return [m for m in apps.get_models() if m.__module__.startswith("handregen.")]


def test_every_model_declares_its_record_kind():
    undeclared = [
        m.__name__ for m in _our_models() if getattr(m, "record_kind", None) not in {APPEND_ONLY, CLINICAL, REFERENCE}
    ]
    assert undeclared == []


def test_append_only_and_clinical_models_refuse_bulk_writes():
    unprotected = [
        m.__name__
        for m in _our_models()
        if m.record_kind in {APPEND_ONLY, CLINICAL} and not isinstance(m._default_manager.all(), ProtectedQuerySet)
    ]
    assert unprotected == []
