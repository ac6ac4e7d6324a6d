"""The docs that users read are checked against the code, so they cannot drift."""

import re
from pathlib import Path

from engine.config import settings_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_readme_configuration_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(
        r"<!-- settings-table:start -->\n(.*?)\n<!-- settings-table:end -->", readme, re.S
    )
    assert block, "README lost its settings table markers"
    assert block.group(1) == settings_markdown(), (
        "README configuration table is stale: paste engine.config.settings_markdown()"
    )


def test_readme_gives_the_two_commands_and_ci_uses_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "./hubw up" in readme and "./hubw test" in readme
    assert "exec ./hubw test" in (ROOT / ".ci" / "run").read_text()


def test_docs_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text()
    for link in re.findall(r"\]\(((?:docs|bench)/[^)#]+)\)", readme):
        assert (ROOT / link).exists(), link
