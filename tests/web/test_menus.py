"""Issue 18: the menu by role. Every link in a role's menu answers 200 for that role; the researcher's menu
shows only what a researcher may open."""

from __future__ import annotations

import re

import pytest

from handregen.accounts.roles import Role


def _menu_links(page: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', page, re.S)
    assert nav, "the page has a main menu"
    return re.findall(r'href="([^"]+)"', nav.group(1))


# The data steward works through the FHIR bulk export only (their home page says so): no page to list.
WITHOUT_PAGES = {Role.DATA_STEWARD.value}


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_menu_link_answers_200_for_the_role(signed_in, role):
    client = signed_in(role)
    links = _menu_links(client.get("/analytics/" if role == "researcher" else "/").content.decode())
    assert bool(links) != (role in WITHOUT_PAGES), f"the {role}'s menu: {links}"
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, f"{role}: {link} answered {response.status_code}"


def test_the_researcher_menu_shows_only_the_cohort_figures(signed_in):
    page = signed_in("researcher").get("/analytics/").content.decode()
    assert _menu_links(page) == ["/analytics/"]


def test_the_current_page_is_marked_in_the_menu(signed_in):
    page = signed_in("physician").get("/patients/").content.decode()
    assert '<a href="/patients/" aria-current="page">Patients</a>' in page
