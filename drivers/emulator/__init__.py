"""The shipped reader emulator: synthetic cards served over the real wire protocols.

- ``deck``: synthetic people (never real persons), as JSON files or the built-in default deck.
- ``sam``: the GA 467 reader as a pure state machine (bytes in, frames out).
- ``ptyserver``: that reader on a kernel pseudo-terminal, with wire timing at the configured baud.
  Python API (used by tests, the bench and ``laiqu demo``)::

      from drivers.emulator import start_emulator
      with start_emulator(process=True) as emu:     # or process=False for a thread
          reader = drivers.open_reader(f"serial://{emu.port}")
          emu.present(0)            # card 0 of the deck (or a CardRead)
          card = reader.read(timeout=5)
          emu.remove(); emu.unplug(); emu.replug(); emu.configure(sam_fault=0x60)

  ``emu.port`` is a stable symlink to the current pty slave, so an unplug/replug (which
  closes the pty and opens a new one, like a USB reader coming back) keeps the same path.
- ``vpcd``: a card for pcscd's vpcd driver (``vsmartcard-vpcd``, localhost:35963) answering
  the resident card's chip-serial APDU and the SAM-reader pseudo-APDUs.
"""

from drivers.emulator.handle import SerialEmulator, start_emulator

__all__ = ["SerialEmulator", "start_emulator"]
