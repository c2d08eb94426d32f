"""The pure core, one module per stage: records, eutils (the only network access), PubMed XML (xml_input,
parse, pubmed_fields), other databases' exports (sources), deduplication (titles, dedup), nlp, relations,
rank, review decisions, screening, PRISMA, writers. No database: the jobs in ``pdacmine.jobs`` store what
it returns; docs/architecture.md lists the modules."""
