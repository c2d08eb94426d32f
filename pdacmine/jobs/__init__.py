"""Jobs that move records between the miner core and the database: harvest, import, extract, update."""
