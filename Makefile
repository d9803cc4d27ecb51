# Each target is a thin shell over a script in scripts/.
.PHONY: run test check bench setup clean conformance fuzz soak

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh

check:
	@bash scripts/check.sh

bench:
	@bash scripts/bench.sh

setup:
	@bash scripts/setup.sh

conformance:
	@bash scripts/conformance.sh $(ARGS)

fuzz:
	@bash scripts/fuzz.sh $(ARGS)

soak:
	@bash scripts/soak.sh

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
