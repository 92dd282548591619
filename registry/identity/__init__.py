"""Identity: document numbers (GB 11643 resident numbers, HMT and foreign permits, passports,
GB 32100 credit codes), card reads (GA 467 layouts as ``CardRead``), names and pinyin, and the
GB/T 2261 / GB 3304 code tables.

Pure: imports nothing of the registry but ``registry.errors``; no database.
"""
