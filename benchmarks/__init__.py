"""Scale benchmark of the medallion pipeline (`make bench`); see benchmarks/README.md."""
