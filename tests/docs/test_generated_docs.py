"""The reference docs are generated from the code; this fails when they drift."""

import pytest

from alumni_local.docs import DOCUMENTS

from ..conftest import REPO


@pytest.mark.parametrize("rel", sorted(DOCUMENTS))
def test_generated_document_is_up_to_date(rel: str) -> None:
    assert (REPO / rel).read_text(encoding="utf-8") == DOCUMENTS[rel](), f"{rel} is stale: run `make docs`"
