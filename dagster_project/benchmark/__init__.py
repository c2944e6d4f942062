"""`make bench`: the job on generated profiles of growing size, timed and measured stage by stage.

The numbers go to docs/benchmarks.md; unit tests never assert them.
"""
