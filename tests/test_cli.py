from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner
from cryptography.fernet import Fernet

from dealerhub.cli import main


def run(env: dict[str, str], *args: str) -> Any:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_db_upgrade_and_dealers_create_json(cli_env, toy_client):
    run(cli_env, "db", "upgrade")
    result = run(cli_env, "dealers", "create", "--name", "Lakeside Ford", "--json")
    data = json.loads(result.output)  # exactly one JSON object, nothing else
    assert set(data) == {
        "id",
        "name",
        "secret_key",
        "publishable_key",
        "live_secret_key",
        "live_publishable_key",
    }
    assert data["id"].startswith("acct_")
    assert data["secret_key"].startswith("sk_test_")
    assert data["publishable_key"].startswith("pk_test_")
    assert data["live_secret_key"].startswith("sk_live_")
    assert data["live_publishable_key"].startswith("pk_live_")
    # The printed key authenticates; a publishable key on a secret endpoint is 403.
    ok = toy_client.get("/toy/widgets", headers={"Authorization": f"Bearer {data['secret_key']}"})
    assert ok.status_code == 200
    pk = toy_client.get("/toy/widgets", headers={"X-Api-Key": data["publishable_key"]})
    assert pk.status_code == 403
    listed = run(cli_env, "dealers", "list", "--json")
    assert data["id"] in {d["id"] for d in json.loads(listed.output)}
    human = run(cli_env, "dealers", "list")
    assert "Lakeside Ford" in human.output


def test_dealers_create_readable_summary(cli_env):
    result = run(cli_env, "dealers", "create", "--name", "Hilltop Kia")
    assert "Hilltop Kia" in result.output
    assert "sk_test_" in result.output


def test_keys_roll_revokes_old_keys(cli_env, toy_client):
    data = json.loads(run(cli_env, "dealers", "create", "--name", "Roll", "--json").output)
    rolled = json.loads(
        run(cli_env, "keys", "roll", "--dealer", data["id"], "--mode", "test", "--json").output
    )
    old = toy_client.get("/toy/widgets", headers={"X-Api-Key": data["secret_key"]})
    assert old.status_code == 401
    new = toy_client.get("/toy/widgets", headers={"X-Api-Key": rolled["secret_key"]})
    assert new.status_code == 200
    live = toy_client.get("/toy/widgets", headers={"X-Api-Key": data["live_secret_key"]})
    assert live.status_code == 200


def test_keys_roll_unknown_dealer_fails_cleanly(cli_env):
    result = CliRunner().invoke(main, ["keys", "roll", "--dealer", "acct_nope"], env=cli_env)
    assert result.exit_code != 0


def test_rotate_encryption_re_encrypts_under_the_new_key(cli_env, tmp_path):
    # Its own database: rotation touches every row, and other tests' rows may be under
    # throwaway keys.
    cli_env = {**cli_env, "DEALERHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'rot.sqlite3'}"}
    run(cli_env, "db", "upgrade")
    run(cli_env, "dealers", "create", "--name", "Rotate")
    result = run(cli_env, "keys", "rotate-encryption")
    assert "re-encrypted" in result.output
    new = Fernet.generate_key().decode()
    env = {**cli_env, "DEALERHUB_ENCRYPTION_KEYS": f"{new},{cli_env['DEALERHUB_ENCRYPTION_KEYS']}"}
    run(env, "keys", "rotate-encryption")


def test_demo_dealer_is_created_once(cli_env):
    first = run(cli_env, "demo").output
    second = run(cli_env, "demo").output
    assert first == second
    assert "sk_test_" in first
