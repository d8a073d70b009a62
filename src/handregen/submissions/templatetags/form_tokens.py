"""`{% form_token %}`: the hidden one-time token every state-changing staff form carries (see middleware)."""

from __future__ import annotations

import secrets

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from handregen.submissions.middleware import FORM_TOKEN_FIELD

register = template.Library()


@register.simple_tag
def form_token() -> SafeString:
    """A fresh random token per rendering: a re-shown form (after a refusal) can be sent again."""
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_TOKEN_FIELD, secrets.token_urlsafe(24))
