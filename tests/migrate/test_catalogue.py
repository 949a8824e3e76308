"""MIGRATION.md's rule catalogue is generated from the rules; the committed copy must be current."""

from migrate import catalogue
from migrate.rules import all_rules


def test_committed_migration_md_is_up_to_date():
    current = catalogue.MIGRATION_MD.read_text(encoding="utf-8")
    assert catalogue.render_document(current) == current, (
        "MIGRATION.md is stale: run `python -m migrate.catalogue --write` and commit it"
    )


def test_catalogue_shows_every_rule_and_example():
    text = catalogue.render_catalogue()
    for rule in all_rules():
        assert f"### {rule.NAME}" in text
        for example in rule.FIXES:
            assert example.id in text


def test_guide_sections_present():
    text = catalogue.MIGRATION_MD.read_text(encoding="utf-8")
    for heading in ("Run the app under the shim", "runtime worklist", "## 3. Migrate", "Review the diff", "## 5. Test"):
        assert heading in text
