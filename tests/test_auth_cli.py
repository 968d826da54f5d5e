"""``geo-service users``: the first admin, accounts with grids and buildings, API tokens."""

from __future__ import annotations

from sqlalchemy import Engine, text

from geo_service.auth import accounts
from geo_service.auth.passwords import verify_password


def test_create_admin_from_stdin_then_sign_in(engine: Engine) -> None:
    from click.testing import CliRunner

    from geo_service.cli import main

    runner = CliRunner()
    url = engine.url.render_as_string(hide_password=False)
    done = runner.invoke(main, ["users", "create-admin", "admin", "--password-stdin",
                                "--display-name", "社区管理员"],
                         input="maple lantern over the river\n", env={"DATABASE_URL": url})
    assert done.exit_code == 0, done.output
    with engine.connect() as conn:
        row = conn.execute(text("SELECT role, password_hash, display_name FROM users "
                                "WHERE username = 'admin'")).one()
    assert row.role == "community_admin" and row.display_name == "社区管理员"
    assert verify_password(row.password_hash, "maple lantern over the river")
    assert "maple lantern over the river" not in row.password_hash
    again = runner.invoke(main, ["users", "create-admin", "admin", "--password-stdin"],
                          input="maple lantern over the river\n", env={"DATABASE_URL": url})
    assert again.exit_code == 1 and "taken" in again.output
    short = runner.invoke(main, ["users", "create-admin", "other", "--password-stdin"],
                          input="short\n", env={"DATABASE_URL": url})
    assert short.exit_code == 1 and "at least 10" in short.output
    prompted = runner.invoke(main, ["users", "create-admin", "typed"],
                             input="amber owls nest quietly\namber owls nest quietly\n",
                             env={"DATABASE_URL": url})
    assert prompted.exit_code == 0, prompted.output
    assert "amber owls nest quietly" not in prompted.output  # not echoed


def test_add_with_grids_and_buildings_token_and_list(sample_db: str,
                                                     engine: Engine) -> None:
    from click.testing import CliRunner

    from geo_service.cli import main

    runner = CliRunner()
    env = {"DATABASE_URL": sample_db}
    added = runner.invoke(main, ["users", "add", "li", "--role", "grid_worker", "--grid", "1",
                                 "--grid", "3", "--password-stdin"],
                          input="li's long password\n", env=env)
    assert added.exit_code == 0, added.output
    leader = runner.invoke(main, ["users", "add", "wang", "--role", "building_leader",
                                  "--building", "B0001", "--phone", "13900002222",
                                  "--password-stdin"], input="copper kettle on a cold hill\n",
                           env=env)
    assert leader.exit_code == 0, leader.output
    unknown = runner.invoke(main, ["users", "add", "zhao", "--role", "grid_worker", "--grid",
                                   "99", "--password-stdin"], input="seven paper cranes at dawn\n",
                            env=env)
    assert unknown.exit_code == 1 and "99" in unknown.output
    bad_role = runner.invoke(main, ["users", "add", "x", "--role", "king", "--password-stdin"],
                             input="a long password!\n", env=env)
    assert bad_role.exit_code == 2
    with engine.connect() as conn:
        li = accounts.load_principal(conn, accounts.user_id(conn, "li"))
        wang = accounts.load_principal(conn, accounts.user_id(conn, "wang"))
    assert li.grid_numbers == {1, 3} and li.role == "grid_worker"
    assert len(wang.building_ids) == 1
    made = runner.invoke(main, ["users", "token", "li", "dispatch"], env=env)
    assert made.exit_code == 0
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("gst_") and len(token) > 40
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT token_sha256 FROM api_tokens")).scalar_one()
        assert stored == accounts.token_digest(token)
        assert accounts.principal_for_token(conn, token).username == "li"
    listed = runner.invoke(main, ["users", "list"], env=env)
    assert listed.exit_code == 0
    lines = {line.split("\t")[0]: line.split("\t") for line in listed.stdout.splitlines()}
    assert lines["li"][1:6] == ["grid_worker", "yes", "1,3", "", "1"]
    assert lines["wang"][4] == "B0001"
    assert runner.invoke(main, ["users", "token", "nobody", "x"], env=env).exit_code == 1
    off = runner.invoke(main, ["users", "deactivate", "li"], env=env)
    assert off.exit_code == 0
    with engine.connect() as conn:
        assert accounts.principal_for_token(conn, token) is None
    changed = runner.invoke(main, ["users", "set-password", "wang", "--password-stdin"],
                            input="copper kettle on a warm hill\n", env=env)
    assert changed.exit_code == 0
    with engine.connect() as conn:
        assert accounts.authenticate(conn, "wang", "copper kettle on a warm hill") is not None
        assert accounts.authenticate(conn, "wang", "copper kettle on a cold hill") is None
