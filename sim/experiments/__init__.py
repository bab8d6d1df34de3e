"""Experiments: replications and their intervals, sweep designs, the engines that run them,
and the results folders they write (the layer between one replication and the analysis)."""
