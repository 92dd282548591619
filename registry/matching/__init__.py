"""The three matchings (person–certificate, person–house, person–job): the finding codes,
the per-jurisdiction rules (deadlines, limits), the person and place rules that compute what
holds, and the checks that refresh findings for the subjects a use case touched.

May import: ``registry.privacy``, ``registry.identity``, ``registry.db``.
"""
