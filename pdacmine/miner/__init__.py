"""The pure core, one module per stage: records, eutils (the only network access), parse, nlp, relations,
rank, review decisions, PRISMA, writers. No database: the jobs in ``pdacmine.jobs`` store what it returns."""
