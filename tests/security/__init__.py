"""Security requirement tests, one module per requirement of /work/shared/reference/security-requirements.md;
each module's docstring names the requirement codes it proves (A… authentication, Z… authorisation, U… audit
and signatures, D… data protection, I… input and output). Added after the second hostile test:

- A7 no credential oracle outside sign-in: test_signing_oracle.py
- A8 revocable tokens: test_token_revocation.py (and tests/browser/test_tokens_page.py)
- D6 no free text for de-identified roles: test_free_text_deidentified.py
- U10 keyed, anchored audit chains: test_keyed_audit_chain.py
"""
