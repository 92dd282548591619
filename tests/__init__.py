"""The test tree is the ``tests`` package.

Without this file the packages ``tests/registry`` (and the ``tests/drivers`` namespace
directory) could be imported as the top-level ``registry`` or ``drivers`` whenever ``tests/``
came before the checkout on ``sys.path``; as ``tests.registry`` they never shadow the code.
"""
