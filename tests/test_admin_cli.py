"""`ticketgate queue|user|token ...` as an operator runs them (real subprocesses)."""

import argparse
import os

import commands
from tests.test_cli import cli_env, run  # noqa: F401 (the fixture)


def ok(env, *args) -> str:
    result = run(env, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_admin_commands(cli_env):  # noqa: F811
    ok(cli_env, "migrate")
    ok(cli_env, "create-user", "boss", "--role", "admin", "--password", "s3cure-pass!")
    ok(cli_env, "create-user", "ann", "--role", "agent", "--password", "s3cure-pass!")
    assert ok(cli_env, "queue", "create", "sales", "--title", "Sales") == (
        "created queue sales (id 1)\n"
    )
    assert ok(cli_env, "queue-public", "sales", "on") == "queue sales is public\n"
    assert ok(cli_env, "queue-public", "sales", "off") == "queue sales is private\n"
    missing = run(cli_env, "queue-public", "nowhere", "on")
    assert missing.returncode == 1 and "not found" in missing.stderr
    assert ok(cli_env, "queue", "rename", "sales", "Sales EU") == "1\tsales\tprivate\tSales EU\n"
    assert ok(cli_env, "queue", "archive", "sales") == "1\tsales\tarchived\tSales EU\n"
    assert ok(cli_env, "queue", "list") == "1\tsales\tarchived\tSales EU\n"
    assert ok(cli_env, "queue", "grant", "sales", "ann") == "ann: has sales\n"
    assert ok(cli_env, "queue", "members", "sales") == "2\tann\n"
    assert ok(cli_env, "queue", "revoke", "sales", "ann") == "ann: has not sales\n"
    assert ok(cli_env, "queue", "members", "sales") == ""
    not_an_agent = run(cli_env, "queue", "grant", "sales", "boss")
    assert not_an_agent.returncode == 1 and "Only agents work in queues" in not_an_agent.stderr
    duplicate = run(cli_env, "queue", "create", "sales", "--title", "Again")
    assert duplicate.returncode == 1
    assert "ticketgate: A queue with slug 'sales' already exists.\n" in duplicate.stderr

    assert ok(cli_env, "user", "set-role", "ann", "customer") == "ann: customer, active\n"
    assert ok(cli_env, "user", "deactivate", "ann") == "ann: customer, inactive\n"
    assert ok(cli_env, "user", "list", "--inactive") == "2\tann\tcustomer\tinactive\t\n"
    assert ok(cli_env, "user", "reactivate", "ann") == "ann: customer, active\n"
    last_admin = run(cli_env, "user", "deactivate", "boss")
    assert last_admin.returncode == 1 and "last active administrator" in last_admin.stderr
    # the refused write's batch ends before the database closes (it used to outlive it)
    assert '"level":"ERROR"' not in last_admin.stderr, last_admin.stderr
    reset = ok(cli_env, "user", "reset-password", "ann", "--password", "another-pass-7")
    assert reset == "ann: password changed\n"

    ok(cli_env, "create-token", "ann", "--name", "laptop")
    listed = ok(cli_env, "token", "list", "--user", "ann")
    assert listed.startswith("1\tann\tlaptop\tcreated ") and listed.endswith("last used never\n")
    assert ok(cli_env, "token", "revoke", "1") == "token 1 revoked\n"
    assert ok(cli_env, "token", "list") == ""
    missing = run(cli_env, "token", "revoke", "1")
    assert missing.returncode == 1 and "ticketgate: Token 1 not found.\n" in missing.stderr


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_option_and_argument_has_help_text():
    for parser in _parsers(commands._parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):  # its commands carry the help
                for command in action._choices_actions:
                    assert command.help, f"{parser.prog} {command.dest} has no help text"
            else:
                assert action.help, f"{parser.prog}: {action.dest} has no help text"


def test_version():
    result = run(dict(os.environ), "--version")
    assert result.returncode == 0 and result.stdout.startswith("ticketgate ")
