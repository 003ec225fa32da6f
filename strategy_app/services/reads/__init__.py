"""Read models: what the dashboard, alignment report, my updates, history and exports show,
built by calling evaluation. May import evaluation and plumbing; never writes or dataio."""
