"""The ``reader`` click group: read/watch through the emulator, emulate serial as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from cli.reader import reader
from drivers.emulator.deck import default_deck
from drivers.serialreader import SerialReader

ROOT = Path(__file__).resolve().parents[2]


def test_every_command_has_help():
    runner = CliRunner()
    for name in ("list", "read", "watch", "emulate"):
        result = runner.invoke(reader, [name, "--help"])
        assert result.exit_code == 0 and len(result.output) > 40


def test_read_json_masks_the_number():
    deck = default_deck()
    result = CliRunner().invoke(reader, ["read", "emulator://?swipe=0.3", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["number"] == deck[0].card.masked_number
    assert deck[0].card.number not in result.output
    assert data["photo_sha256"] == deck[0].card.photo_sha256 and data["photo_bytes"] == 1024


def test_read_text_shows_long_term(tmp_path):
    cards = tmp_path / "deck.json"
    from drivers.emulator.deck import deck_to_json

    cards.write_text(deck_to_json(default_deck()[1:2]), encoding="utf-8")
    photo = tmp_path / "photo.wlt"
    result = CliRunner().invoke(reader, ["read", f"emulator://?cards={cards}&swipe=0.3",
                                         "--photo-out", str(photo)])
    assert result.exit_code == 0, result.output
    assert "至 长期" in result.output
    assert photo.read_bytes() == default_deck()[1].card.photo


def test_watch_prints_each_card_once():
    result = CliRunner().invoke(reader, ["watch", "emulator://?swipe=0.3", "--count", "3",
                                         "--json"])
    assert result.exit_code == 0, result.output
    numbers = [json.loads(line)["number"] for line in result.output.splitlines()]
    assert numbers == [entry.card.masked_number for entry in default_deck()[:3]]


def test_bad_url_is_a_clear_error():
    result = CliRunner().invoke(reader, ["read", "nfc://x"])
    assert result.exit_code == 1 and "nfc://x" in result.output


def test_emulate_serial_prints_the_port_and_serves_until_stdin_closes():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", "from cli.reader import reader; reader()", "emulate", "serial"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        port = proc.stdout.readline().decode().strip()
        assert os.path.exists(port)
        with SerialReader(port, poll=0.05) as rd:
            proc.stdin.write(b"present 8\n")
            proc.stdin.flush()
            assert json.loads(proc.stdout.readline())["present"] is True
            card = rd.read(timeout=5)
            assert card is not None and card.english_name == "SMITH, JOHN ALEXANDER"
        proc.stdin.close()
        assert proc.wait(timeout=10) == 0
        assert not os.path.exists(port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
