"""The README's configuration reference is generated from the model and must not drift from it."""

from __future__ import annotations

from config.reference import END, START, block, reference
from offline.harness import ROOT_DIR


def test_readme_configuration_reference_matches_the_model() -> None:
    readme = (ROOT_DIR / "README.md").read_text()
    current = readme[readme.index(START) : readme.index(END) + len(END)]
    assert current == block(), "run `python -m config.reference --write README.md`"


def test_reference_documents_every_cloud_block_and_nested_key() -> None:
    text = reference()
    for key in ("`nodePools.gpuSpot.taints[].effect`", "`aws.region`", "`azure.location`", "`gcp.project`"):
        assert key in text
