"""The ``laiqu`` command (click): thin, one command per use case of ``registry``."""
