"""The shipped reader emulator: synthetic cards served over the real wire protocols.

- ``deck``: synthetic people (never real persons) as JSON files or the built-in default deck
  (all four card types, 长期 and expired cards, ethnicity 97/98, fingerprints).
- ``sam``: the GA 467 reader as a pure state machine (bytes in, frames out), with the
  switches of ``SamOptions``: ``read_once``, ``move_next_read`` (SW3 41), ``select_fails``
  (81), ``sam_fault`` (0x60 cleared by a 10 FF reset, 0x66 permanent), ``hung``, ``latency``
  (longer than the host's deadline: a late answer), ``cut_next_read`` (an answer cut off and
  followed by SW3 41), ``corrupt_next`` (a wrong checksum), ``silent`` (no answers at all).
- ``ptyserver``: that reader on a kernel pseudo-terminal with wire timing at the configured
  baud, chunked delivery, and a JSON-lines control channel.
- ``vpcd``: a card for pcscd's vpcd driver (``vsmartcard-vpcd``, localhost:35963).

Python API (tests, the bench and ``laiqu demo``)::

    from drivers.emulator import start_emulator
    with start_emulator(process=True) as emu:    # process=False: a thread in this process
        reader = drivers.open_reader(f"serial://{emu.port}")
        emu.present(0)              # a deck index, a CardRead or a DeckCard
        card = reader.read(timeout=5)
        emu.remove()                # take the card out of the field
        emu.unplug(); emu.replug()  # the device disappears and comes back on the same path
        emu.configure(move_next_read=True)   # any SamOptions switch
        emu.state()                 # {"present", "reads", "baud", "plugged", "port"}

``start_emulator(cards=None | path | [DeckCard], process=True, baud=115200, options={…},
link=None, swipe=0.0)``; ``emu.port`` is a stable symlink to the current pty slave (like a
udev by-id link), so an unplug/replug keeps the path. ``swipe=N`` presents the deck's cards
in turn by itself. ``emu.close()`` (or leaving the ``with``) stops the emulator.
"""

from drivers.emulator.handle import SerialEmulator, start_emulator

__all__ = ["SerialEmulator", "start_emulator"]
