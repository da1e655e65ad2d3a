# Mutants: tests/mutants/*.mut each break one invariant; the test named
# in each must fail. `make mutants` lists every mutant with the test that
# killed it and fails if one survives (tests/mutants/run.sh).

.PHONY: mutants

mutants:
	bash tests/mutants/run.sh
