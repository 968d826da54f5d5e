"""The password policy: long enough, and not guessable (zxcvbn), with a reason a person reads.

Common passwords (``password12``, ``1234567890``), repeats (``aaaaaaaaaa``), sequences,
keyboard rows and the username inside the password are refused on every path that sets a
password (account creation on ``/users``, the own-password form, the command line), each with
a message saying why, in both languages; long unrelated words pass.
"""

from __future__ import annotations

import pytest
from flask import Flask
from helpers.accounts import STAFF_PASSWORD

from geo_service.auth import accounts
from geo_service.auth.passwords import PasswordRefused, check_new_password

REFUSED = [  # (password, username, message key)
    ("password12", "lee", "auth_pw_common"),
    ("1234567890", "lee", "auth_pw_common"),
    ("qwertyuiop", "lee", "auth_pw_common"),
    ("aaaaaaaaaa", "lee", "auth_pw_repeated"),
    ("abcdefghijk", "lee", "auth_pw_sequence"),
    ("zhangwei2024!", "zhangwei", "auth_pw_username_inside"),
    ("My-Zhangwei-Home-Town", "zhangwei", "auth_pw_username_inside"),
]
ACCEPTED = ["correct horse battery staple", "violet harbour under snow",
            "copper kettle on a cold hill", STAFF_PASSWORD]


@pytest.mark.parametrize(("password", "username", "key"), REFUSED)
def test_guessable_passwords_are_refused_with_the_reason(password: str, username: str,
                                                         key: str) -> None:
    with pytest.raises(PasswordRefused) as refused:
        check_new_password(password, username)
    assert refused.value.key == key
    assert refused.value.messages["zh"] and refused.value.messages["en"]
    assert refused.value.messages["zh"] != key


@pytest.mark.parametrize("password", ACCEPTED)
def test_long_unrelated_words_pass(password: str) -> None:
    check_new_password(password, "zhangwei")


def test_the_length_rules_stay() -> None:
    with pytest.raises(PasswordRefused) as short:
        check_new_password("Xq7#", "lee")
    assert short.value.key == "auth_pw_short"
    with pytest.raises(PasswordRefused) as same:
        check_new_password("lee_zhang_99", "lee_zhang_99")
    assert same.value.key == "auth_pw_username"


def test_the_users_form_says_why(login_as) -> None:  # noqa: ANN001
    admin = login_as("community_admin")
    common = admin.post("/users?lang=en", data={"username": "lee", "role": "resident",
                                                "password": "password12"})
    assert common.status_code == 422
    assert "one of the most common passwords" in common.get_data(as_text=True)
    repeated = admin.post("/users?lang=zh", data={"username": "lee", "role": "resident",
                                          "password": "aaaaaaaaaa"})
    assert repeated.status_code == 422 and "重复的字符" in repeated.get_data(as_text=True)
    named = admin.post("/users?lang=en", data={"username": "zhangwei", "role": "resident",
                                               "password": "zhangwei2024!"})
    assert "must not contain the username" in named.get_data(as_text=True)
    assert admin.post("/users", data={"username": "lee", "role": "resident",
                                      "password": "violet harbour under snow"}
                      ).status_code == 201


def test_the_own_password_form_refuses_them_too(app: Flask, login_as) -> None:  # noqa: ANN001
    me = login_as("resident")
    answer = me.post("/account/password?lang=en", data={"old_password": STAFF_PASSWORD,
                                                        "new_password": "1234567890"})
    assert answer.status_code == 400
    assert "most common passwords" in answer.get_data(as_text=True)
    with app.config["ENGINE"].connect() as conn, pytest.raises(PasswordRefused):
        accounts.set_password(conn, me.username, "password12")


def test_the_command_line_refuses_them(db_url: str) -> None:
    from click.testing import CliRunner

    from geo_service.cli import main

    runner = CliRunner()
    env = {"DATABASE_URL": db_url}
    refused = runner.invoke(main, ["users", "add", "lee", "--role", "resident",
                                   "--password-stdin"], input="password12\n", env=env)
    assert refused.exit_code != 0
    assert "常见" in refused.output or "common" in refused.output
    added = runner.invoke(main, ["users", "add", "lee", "--role", "resident",
                                 "--password-stdin"], input="violet harbour under snow\n",
                          env=env)
    assert added.exit_code == 0, added.output
