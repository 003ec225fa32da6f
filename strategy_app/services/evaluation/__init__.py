"""The computation rules of DESIGN §3 (pure functions), "today", and their evaluation over the
database in a fixed number of queries. May import plumbing; never reads, writes or dataio."""
