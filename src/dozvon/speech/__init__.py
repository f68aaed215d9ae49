"""Russian speech for the telephone: values rendered as words, a pronunciation lexicon, and
synthesis to 8 kHz 16-bit mono PCM."""
