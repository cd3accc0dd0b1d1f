"""Every word in both languages: the same keys and the same placeholders, for users and for admins."""
from __future__ import annotations

import string

import pytest

from shared.ui.texts import TEXTS, admin_en, admin_ru, en, ru, t


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("russian, english", [(ru.TEXTS, en.TEXTS), (admin_ru.TEXTS, admin_en.TEXTS)],
                         ids=["users", "admins"])
def test_russian_and_english_have_the_same_keys_and_placeholders(russian, english):
    assert set(russian) == set(english)
    assert {k: placeholders(v) for k, v in russian.items()} == {k: placeholders(v) for k, v in english.items()}


def test_user_and_admin_tables_do_not_share_a_key():
    assert not set(ru.TEXTS) & set(admin_ru.TEXTS)


def test_a_missing_key_is_an_error_not_a_silent_fallback():
    with pytest.raises(KeyError):
        t("en", "no_such_text")
    assert t("de", "stale") == TEXTS["ru"]["stale"]  # other languages read Russian
    assert t("en", "adm_btn_back") == "⬅️ Admin panel"


@pytest.mark.parametrize("table", [ru, en, admin_ru, admin_en], ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_no_key_is_written_twice(table):
    """A dict literal keeps the last of two equal keys without a word: two branches adding the same text
    once left the older wording in force."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(table))
    texts = next(node.value for node in ast.walk(tree) if isinstance(node, ast.AnnAssign | ast.Assign)
                 and "TEXTS" in ast.unparse(node).split("=", 1)[0])
    keys = [key.value for key in texts.keys if isinstance(key, ast.Constant)]
    assert sorted({k for k in keys if keys.count(k) > 1}) == []
