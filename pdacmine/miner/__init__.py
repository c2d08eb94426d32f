"""The work, one module per stage: eutils (network), parse, harvest, nlp, relations, rank, export."""
